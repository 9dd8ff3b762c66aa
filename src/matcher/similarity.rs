//! Similarity of two folded texts: the normalised Levenshtein distance over characters, exactly the value of
//! `strsim::normalized_levenshtein`, computed bit-parallel (Myers 1999, with Hyyrö's blocks for texts longer than
//! 64 characters).
//!
//! The question is prepared once ([`Pattern`]) and compared with each re-ranked variant: each comparison costs
//! one pass over the variant's characters with a few word operations per 64 characters of the question, instead
//! of strsim's full distance matrix. It knows nothing of the matcher's scores.

/// Character codes below this are looked up in a table; others in a short list (the question's rare characters).
const TABLE_CHARS: usize = 0x500;

/// A question prepared for many comparisons: for each of its distinct characters, the bit mask of the positions
/// where it occurs, one 64-bit word per block of 64 characters.
#[derive(Clone, Debug)]
pub struct Pattern {
    len: usize,
    blocks: usize,
    /// For code points below `TABLE_CHARS`: 1 + the index of the character's masks, or 0 when absent.
    table: Vec<u16>,
    /// Other characters with the index of their masks.
    others: Vec<(char, u16)>,
    /// `blocks` words per distinct character.
    masks: Vec<u64>,
}

impl Pattern {
    pub fn new(text: &str) -> Pattern {
        let chars: Vec<char> = text.chars().collect();
        let len = chars.len();
        let blocks = len.div_ceil(64).max(1);
        let mut p = Pattern {
            len,
            blocks,
            table: vec![0; TABLE_CHARS],
            others: Vec::new(),
            masks: Vec::new(),
        };
        for (i, &c) in chars.iter().enumerate() {
            let ix = match p.index(c) {
                Some(ix) => ix,
                None => {
                    let ix = p.masks.len() / blocks;
                    p.masks.resize(p.masks.len() + blocks, 0);
                    let slot = u16::try_from(ix + 1).unwrap_or(u16::MAX);
                    if (c as usize) < TABLE_CHARS {
                        p.table[c as usize] = slot;
                    } else {
                        p.others.push((c, slot));
                    }
                    ix
                }
            };
            p.masks[ix * blocks + i / 64] |= 1 << (i % 64);
        }
        p
    }

    fn index(&self, c: char) -> Option<usize> {
        let slot = if (c as usize) < TABLE_CHARS {
            self.table[c as usize]
        } else {
            self.others
                .iter()
                .find(|(o, _)| *o == c)
                .map_or(0, |&(_, s)| s)
        };
        (slot != 0).then(|| usize::from(slot) - 1)
    }

    /// The Levenshtein distance (in characters) between the pattern and `text`.
    pub fn distance(&self, text: &str) -> usize {
        if self.len == 0 {
            return text.chars().count();
        }
        let blocks = self.blocks;
        let last_bit = 1u64 << ((self.len - 1) % 64);
        if blocks == 1 {
            return self.distance_one_block(text, last_bit);
        }
        let mut score = self.len;
        // Vertical deltas (+1 / -1) of each block; all +1 before the first text character.
        let mut vp = vec![!0u64; blocks];
        let mut vn = vec![0u64; blocks];
        let zero = vec![0u64; blocks];
        for c in text.chars() {
            let eqs = match self.index(c) {
                Some(ix) => &self.masks[ix * blocks..(ix + 1) * blocks],
                None => &zero[..],
            };
            // The horizontal delta entering the first block is +1: row 0 of the matrix counts text characters.
            let mut hin: i32 = 1;
            for b in 0..blocks {
                let (pv, mv) = (vp[b], vn[b]);
                let hin_neg = u64::from(hin < 0);
                let hin_pos = u64::from(hin > 0);
                let xv = eqs[b] | mv;
                let eq = eqs[b] | hin_neg;
                let xh = ((eq & pv).wrapping_add(pv) ^ pv) | eq;
                let mut ph = mv | !(xh | pv);
                let mut mh = pv & xh;
                let out_bit = if b + 1 == blocks { last_bit } else { 1 << 63 };
                let hout = i32::from(ph & out_bit != 0) - i32::from(mh & out_bit != 0);
                ph = (ph << 1) | hin_pos;
                mh = (mh << 1) | hin_neg;
                vp[b] = mh | !(xv | ph);
                vn[b] = ph & xv;
                hin = hout;
            }
            score = score.wrapping_add_signed(hin as isize);
        }
        score
    }

    /// `distance` for a pattern of at most 64 characters: the same steps with the one block in registers.
    fn distance_one_block(&self, text: &str, last_bit: u64) -> usize {
        let mut score = self.len;
        let (mut vp, mut vn) = (!0u64, 0u64);
        for c in text.chars() {
            let eq = self.index(c).map_or(0, |ix| self.masks[ix]);
            let xv = eq | vn;
            let xh = ((eq & vp).wrapping_add(vp) ^ vp) | eq;
            let mut ph = vn | !(xh | vp);
            let mut mh = vp & xh;
            if ph & last_bit != 0 {
                score += 1;
            } else if mh & last_bit != 0 {
                score -= 1;
            }
            ph = (ph << 1) | 1;
            mh <<= 1;
            vp = mh | !(xv | ph);
            vn = ph & xv;
        }
        score
    }

    /// `strsim::normalized_levenshtein(pattern, text)`, bit for bit.
    pub fn normalized_similarity(&self, text: &str) -> f64 {
        let text_len = text.chars().count();
        if self.len == 0 && text_len == 0 {
            return 1.0;
        }
        1.0 - (self.distance(text) as f64) / (self.len.max(text_len) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    #[track_caller]
    fn check(a: &str, b: &str) {
        let p = Pattern::new(a);
        assert_eq!(p.distance(b), strsim::levenshtein(a, b), "{a:?} vs {b:?}");
        assert_eq!(
            p.normalized_similarity(b).to_bits(),
            strsim::normalized_levenshtein(a, b).to_bits(),
            "{a:?} vs {b:?}"
        );
    }

    #[test]
    fn agrees_with_strsim_on_examples() {
        check("", "");
        check("", "abc");
        check("abc", "");
        check("kitten", "sitting");
        check("как получить патент", "как получить патент в москве");
        check("ёж 🙂 ok", "еж ok 🙂");
        check("ab", "ba");
    }

    #[test]
    fn agrees_with_strsim_on_seeded_random_texts_of_every_length() {
        // Small alphabets (Latin, Cyrillic, one character outside the table) so that texts share characters.
        let alphabet: Vec<char> = "abcaб ж\u{1F642}".chars().collect();
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for round in 0..600 {
            let la = if round % 3 == 0 { next(200) } else { next(70) };
            let lb = next(140);
            let a: String = (0..la).map(|_| alphabet[next(alphabet.len())]).collect();
            let b: String = (0..lb).map(|_| alphabet[next(alphabet.len())]).collect();
            check(&a, &b);
            check(&b, &a);
        }
    }
}
