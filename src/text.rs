//! Text normalisation: the pure functions that turn what a migrant typed into comparable words.
//!
//! It owns Unicode folding (NFKC, case, `ё`→`е`, zero-width and control characters, punctuation and emoji),
//! tokenisation, stop words, stemming for English and Russian, and the mapping of Russian typed in Latin letters
//! to Cyrillic. It knows nothing of the knowledge base: deciding which reading of a word is right is the
//! matcher's job (`matcher::analyze`), because only the matcher knows the vocabulary.

use rust_stemmers::{Algorithm, Stemmer};
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;

/// The writing system a word is in, which decides how it is stemmed and whether it may be transliterated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    Latin,
    Cyrillic,
    /// Digits only (numbers such as 1414 or 2026 are words too).
    Digits,
    /// Anything else, or a mix of scripts inside one word.
    Other,
}

/// Folds text for comparison: NFKC, lower case, `ё`→`е`, zero-width and control characters removed, and every
/// character that is not a letter, a digit or an apostrophe inside a word replaced by a space; runs of spaces
/// become one. Emoji and punctuation therefore disappear.
pub fn fold(input: &str) -> String {
    // Most text is ASCII and Russian letters, which NFKC leaves as they are and which lower-case one to one:
    // those skip the general Unicode path (the same result, several times faster when indexing).
    if input.chars().all(is_plain) {
        fold_chars(input.chars().map(plain_lowercase), input.len())
    } else {
        fold_chars(input.nfkc().flat_map(char::to_lowercase), input.len())
    }
}

/// ASCII, a letter of the Russian alphabet (`А`–`я`, `Ё`, `ё`), or punctuation common in written answers (dashes,
/// quotation marks, the ellipsis, the no-break space): none has case, and NFKC maps each to itself, or (the ellipsis,
/// the no-break space) to characters that fold to the same separator.
fn is_plain(c: char) -> bool {
    c.is_ascii() || is_russian_letter(c) || PLAIN_PUNCTUATION.contains(&c)
}

const PLAIN_PUNCTUATION: [char; 11] =
    ['—', '–', '«', '»', '„', '“', '”', '‘', '’', '…', '\u{00A0}'];

fn is_russian_letter(c: char) -> bool {
    matches!(c, '\u{0410}'..='\u{044F}' | 'Ё' | 'ё')
}

/// `char::to_lowercase` of a plain character (always one character).
fn plain_lowercase(c: char) -> char {
    match c {
        'А'..='Я' => char::from_u32(c as u32 + 0x20).unwrap_or(c),
        'Ё' => 'ё',
        c => c.to_ascii_lowercase(),
    }
}

/// `char::is_alphabetic`, without the table look-up for Russian letters.
fn is_letter(c: char) -> bool {
    is_russian_letter(c) || c.is_alphabetic()
}

/// `char::is_alphanumeric`, without the table look-up for Russian letters.
fn is_letter_or_digit(c: char) -> bool {
    is_russian_letter(c) || c.is_alphanumeric()
}

/// The rest of `fold`, over NFKC-normalised, lower-cased characters.
/// One allocation: the folded text has at most as many bytes as `capacity`, the input's (NFKC may add a few, rarely).
fn fold_chars(chars: impl Iterator<Item = char>, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut last_space = true;
    // The character before, as it came (an apostrophe is kept only after a letter).
    let mut before: Option<char> = None;
    // An apostrophe is kept only between letters ("don't", "nuzhen'"): Latin-typed Russian uses it for the soft sign.
    for raw in chars {
        let previous = before.replace(raw);
        let c = match raw {
            'ё' => 'е',
            '’' | '`' | 'ʼ' => '\'',
            c => c,
        };
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
            continue;
        }
        if is_invisible(c) {
            continue;
        }
        let keep =
            is_letter_or_digit(c) || (c == '\'' && previous.is_some_and(is_letter) && !last_space);
        if keep {
            out.push(c);
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Zero-width, bidirectional and other format or control characters that must never reach matching.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' |
            '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}' | '\u{034F}' | '\u{180E}')
}

/// Splits folded text into words. A word keeps a final apostrophe: in Latin-typed Russian it is the soft sign.
pub fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(' ')
        .map(|w| w.trim_start_matches('\''))
        .filter(|w| !w.is_empty())
}

/// The script of one folded word.
pub fn script(word: &str) -> Script {
    let mut latin = false;
    let mut cyrillic = false;
    let mut digit = false;
    let mut other = false;
    for c in word.chars() {
        match c {
            'a'..='z' | '\'' => latin = true,
            'а'..='я'
            | 'ё'
            | 'і'
            | 'ї'
            | 'є'
            | 'ў'
            | 'ә'
            | 'ғ'
            | 'қ'
            | 'ң'
            | 'ө'
            | 'ұ'
            | 'ү'
            | 'һ' => cyrillic = true,
            '0'..='9' => digit = true,
            _ => other = true,
        }
    }
    match (latin, cyrillic, digit, other) {
        (true, false, _, false) => Script::Latin,
        (false, true, _, false) => Script::Cyrillic,
        (false, false, true, false) => Script::Digits,
        _ => Script::Other,
    }
}

/// English stop words: function words that say nothing about which entry a question is about.
const EN_STOP: &[&str] = &[
    "a",
    "about",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "for",
    "from",
    "get",
    "got",
    "had",
    "has",
    "have",
    "he",
    "her",
    "here",
    "his",
    "how",
    "i",
    "if",
    "im",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "me",
    "my",
    "of",
    "on",
    "or",
    "our",
    "please",
    "she",
    "should",
    "so",
    "some",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "to",
    "too",
    "us",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "i'm",
    "i've",
    "ive",
    "dont",
    "don't",
    "does",
    "tell",
    "know",
    "want",
    "also",
    "still",
    "now",
    "very",
    "really",
    "pls",
    "plz",
    "hello",
    "hi",
    "yes",
    "ok",
    "much",
    "many",
    "per",
    "each",
    "every",
    "any",
    "anyone",
    "someone",
    "something",
    "need",
    "needs",
    "must",
    "may",
    "might",
    "let",
];

/// Russian stop words (after `ё`→`е` folding).
const RU_STOP: &[&str] = &[
    "а",
    "без",
    "бы",
    "был",
    "была",
    "были",
    "было",
    "быть",
    "в",
    "вам",
    "вас",
    "во",
    "вот",
    "все",
    "всем",
    "вы",
    "где",
    "да",
    "для",
    "до",
    "его",
    "ее",
    "если",
    "есть",
    "еще",
    "же",
    "за",
    "и",
    "из",
    "или",
    "им",
    "их",
    "к",
    "как",
    "какая",
    "какие",
    "какой",
    "ко",
    "когда",
    "кто",
    "ли",
    "либо",
    "мне",
    "меня",
    "мне",
    "мой",
    "моя",
    "мои",
    "мы",
    "на",
    "над",
    "нам",
    "нас",
    "не",
    "него",
    "нее",
    "нет",
    "ни",
    "но",
    "ну",
    "о",
    "об",
    "он",
    "она",
    "они",
    "оно",
    "от",
    "по",
    "под",
    "при",
    "про",
    "с",
    "со",
    "так",
    "там",
    "те",
    "тем",
    "то",
    "того",
    "тоже",
    "только",
    "том",
    "ты",
    "у",
    "уже",
    "чем",
    "что",
    "чтобы",
    "это",
    "эта",
    "эти",
    "этот",
    "я",
    "меня",
    "мной",
    "свой",
    "своя",
    "свои",
    "моего",
    "моей",
    "моих",
    "скажите",
    "подскажите",
    "пожалуйста",
    "пож",
    "здравствуйте",
    "привет",
    "вообще",
    "очень",
    "просто",
    "сейчас",
    "какое",
    "каких",
    "каким",
    "чего",
    "чём",
    "чем",
    "нужно",
    "надо",
    "можно",
    "ли",
    "бывает",
    "хочу",
    "хотел",
    "хотела",
    "сколько",
    "скока",
    "скоко",
    "сколко",
    "нужен",
    "нужна",
    "нужны",
    "должен",
    "должна",
    "могу",
    "может",
    "можем",
];

/// True when `word` (folded) is an English stop word.
pub fn is_en_stop(word: &str) -> bool {
    static SET: OnceLock<rustc_hash::FxHashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| EN_STOP.iter().copied().collect())
        .contains(word)
}

/// True when `word` (folded, Cyrillic) is a Russian stop word.
pub fn is_ru_stop(word: &str) -> bool {
    static SET: OnceLock<rustc_hash::FxHashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| RU_STOP.iter().copied().collect())
        .contains(word)
}

fn en_stemmer() -> &'static Stemmer {
    static S: OnceLock<Stemmer> = OnceLock::new();
    S.get_or_init(|| Stemmer::create(Algorithm::English))
}

fn ru_stemmer() -> &'static Stemmer {
    static S: OnceLock<Stemmer> = OnceLock::new();
    S.get_or_init(|| Stemmer::create(Algorithm::Russian))
}

/// Stems an English word (Snowball), dropping apostrophes first.
pub fn stem_en(word: &str) -> String {
    let plain: String = word.chars().filter(|&c| c != '\'').collect();
    en_stemmer().stem(&plain).into_owned()
}

/// Stems a Russian word (Snowball). The word must already be folded (`ё`→`е`).
pub fn stem_ru(word: &str) -> String {
    ru_stemmer().stem(word).into_owned()
}

/// Stems a folded word by its script; digits and other words are kept as they are.
pub fn stem(word: &str) -> String {
    match script(word) {
        Script::Latin => stem_en(word),
        Script::Cyrillic => stem_ru(word),
        Script::Digits | Script::Other => word.to_string(),
    }
}

/// Maps a word of Russian typed in Latin letters to Cyrillic, the way people type it on a Latin keyboard:
/// the digraphs `shch`/`sch`, `sh`, `ch`, `zh`, `kh`, `ts`, `ya`/`ja`, `yu`/`ju`, `yo`/`jo`, `ye`/`je`,
/// `y` as `ы` inside a word and `й` after a vowel, `'` as `ь`, `h` as `х`, `w` as `в`, `x` as `кс`.
pub fn latin_to_cyrillic(word: &str) -> String {
    transliterate(word, None)
}

/// A spelling of Latin-typed Russian that the usual mapping (`latin_to_cyrillic`) reads the other way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ambiguity {
    /// `ts` as `тс`, not `ц`: `detskiy` (детский), `bratskiy`, `otsyuda`.
    TsAsTeEs,
    /// `sh` as `сх`, not `ш`: `rashod` (расход), `shodit'` (сходить).
    ShAsEsKha,
    /// `sch` as `сч`, not `щ`: `schet` (счет), `schitat'` (считать).
    SchAsEsChe,
    /// `i` after a vowel as `й`: `kakoi` (какой), `stroike` (стройке), `moi` (мой).
    IAfterVowelAsShortI,
    /// A word-initial `e` as `э`: `eto` (это), `ekzamen` (экзамен).
    InitialEAsE,
    /// `j` as `ж`, not `й`: `mojno` (можно), `jit'` (жить), `jena` (жена).
    JAsZhe,
}

const AMBIGUITIES: [Ambiguity; 6] = [
    Ambiguity::TsAsTeEs,
    Ambiguity::ShAsEsKha,
    Ambiguity::SchAsEsChe,
    Ambiguity::IAfterVowelAsShortI,
    Ambiguity::InitialEAsE,
    Ambiguity::JAsZhe,
];

/// The other readings of a word of Latin-typed Russian, besides `latin_to_cyrillic`'s: each reads one ambiguous
/// spelling the other way (in `Ambiguity` order; none when the word has no ambiguous spelling). The matcher tries
/// them when the usual reading is not a word the knowledge base uses.
pub fn latin_to_cyrillic_alternatives(word: &str) -> Vec<String> {
    let usual = latin_to_cyrillic(word);
    let mut out: Vec<String> = Vec::new();
    for a in AMBIGUITIES {
        let other = transliterate(word, Some(a));
        if other != usual && !out.contains(&other) {
            out.push(other);
        }
    }
    out
}

fn transliterate(word: &str, ambiguity: Option<Ambiguity>) -> String {
    const TRI: &[(&str, &str)] = &[("shch", "щ"), ("sch", "щ"), ("tsh", "ч")];
    const DI: &[(&str, &str)] = &[
        ("sh", "ш"),
        ("ch", "ч"),
        ("zh", "ж"),
        ("kh", "х"),
        ("ts", "ц"),
        ("ya", "я"),
        ("ja", "я"),
        ("yu", "ю"),
        ("ju", "ю"),
        ("yo", "е"),
        ("jo", "е"),
        ("ye", "е"),
        ("je", "е"),
        ("yi", "ый"),
        ("yy", "ый"),
        ("ck", "к"),
    ];
    let bytes = word.as_bytes();
    let mut out = String::with_capacity(word.len() * 2);
    let mut i = 0;
    let is_vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
    // The spelling read the other way, when the ambiguity is one of spellings.
    let other = match ambiguity {
        Some(Ambiguity::TsAsTeEs) => Some(("ts", "тс")),
        Some(Ambiguity::ShAsEsKha) => Some(("sh", "сх")),
        Some(Ambiguity::SchAsEsChe) => Some(("sch", "сч")),
        Some(Ambiguity::JAsZhe) => Some(("j", "ж")),
        _ => None,
    };
    'outer: while i < bytes.len() {
        let rest = &word[i..];
        // A longer spelling at the same place keeps its reading (`shch` is щ, not сх + ч).
        let longer = TRI.iter().any(|(lat, _)| {
            other.is_some_and(|(o, _)| o.len() < lat.len()) && rest.starts_with(lat)
        });
        if let Some((lat, cyr)) = other.filter(|(lat, _)| rest.starts_with(lat) && !longer) {
            out.push_str(cyr);
            i += lat.len();
            continue;
        }
        // Only these letters begin a digraph or trigraph.
        if matches!(bytes[i], b's' | b't' | b'c' | b'z' | b'k' | b'y' | b'j') {
            for (lat, cyr) in TRI.iter().chain(DI.iter()) {
                if rest.starts_with(lat) {
                    out.push_str(cyr);
                    i += lat.len();
                    continue 'outer;
                }
            }
        }
        let c = bytes[i];
        let mapped = match c {
            b'a' => "а",
            b'b' => "б",
            b'v' | b'w' => "в",
            b'g' => "г",
            b'd' => "д",
            b'e' if i == 0 && ambiguity == Some(Ambiguity::InitialEAsE) => "э",
            b'e' => "е",
            b'z' => "з",
            b'i' if i > 0
                && is_vowel(bytes[i - 1])
                && ambiguity == Some(Ambiguity::IAfterVowelAsShortI) =>
            {
                "й"
            }
            b'i' => "и",
            b'j' => "й",
            b'k' | b'q' => "к",
            b'l' => "л",
            b'm' => "м",
            b'n' => "н",
            b'o' => "о",
            b'p' => "п",
            b'r' => "р",
            b's' => "с",
            b't' => "т",
            b'u' => "у",
            b'f' => "ф",
            b'h' => "х",
            b'x' => "кс",
            b'c' => "ц",
            b'y' => {
                if i > 0 && is_vowel(bytes[i - 1]) {
                    "й"
                } else {
                    "ы"
                }
            }
            b'\'' => "ь",
            _ => {
                // Not Latin after all (the caller checks the script); keep the character.
                let ch = rest.chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
                continue;
            }
        };
        out.push_str(mapped);
        i += 1;
    }
    out
}

/// Folded text with every Latin word mapped to Cyrillic (`latin_to_cyrillic`) and the other words kept: how a
/// question written in Russian typed in Latin letters reads for comparison with the Cyrillic question variants.
pub fn latin_words_to_cyrillic(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len() * 2);
    for w in words(folded) {
        if !out.is_empty() {
            out.push(' ');
        }
        match script(w) {
            Script::Latin => out.push_str(&latin_to_cyrillic(w)),
            _ => out.push_str(w),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_fold(input: &str, expected: &str) {
        assert_eq!(fold(input), expected, "fold({input:?})");
    }

    #[test]
    fn plain_fast_path_agrees_with_the_general_path() {
        let general = |input: &str| {
            let chars: Vec<char> = input.nfkc().flat_map(char::to_lowercase).collect();
            fold_chars(chars.into_iter(), input.len())
        };
        // Every plain character alone and between letters, then seeded mixes of plain characters.
        let plain: Vec<char> = (0u32..0x80)
            .filter_map(char::from_u32)
            .chain('\u{0410}'..='\u{044F}')
            .chain(['Ё', 'ё'])
            .chain(PLAIN_PUNCTUATION)
            .collect();
        for &c in &plain {
            assert!(is_plain(c));
            assert_eq!(plain_lowercase(c).to_string(), c.to_lowercase().to_string());
            assert_eq!(is_letter(c), c.is_alphabetic());
            assert_eq!(is_letter_or_digit(c), c.is_alphanumeric());
            for text in [c.to_string(), format!("a{c}b"), format!("ж{c}'{c}Ё")] {
                assert_eq!(fold(&text), general(&text), "{text:?}");
            }
        }
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..2000 {
            let text: String = (0..(state % 40))
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    plain[(state % plain.len() as u64) as usize]
                })
                .collect();
            assert_eq!(fold(&text), general(&text), "{text:?}");
        }
    }

    #[test]
    fn fold_handles_case_yo_punctuation_and_emoji() {
        check_fold("Нужно ли РАЗРЕШЕНИЕ?!", "нужно ли разрешение");
        check_fold("Ёлка, ёж", "елка еж");
        check_fold("work permit 🙏🙏 please!!!", "work permit please");
        check_fold("  a\t\tb \n c  ", "a b c");
        check_fold("ＦＵＬＬＷＩＤＴＨ", "fullwidth");
        check_fold("", "");
        check_fold("🙂🙂", "");
    }

    #[test]
    fn fold_removes_zero_width_control_and_bidi_characters() {
        check_fold("раз\u{200B}решение", "разрешение");
        check_fold("\u{202E}permit\u{202C}", "permit");
        check_fold("a\u{0007}b", "ab");
        check_fold("\u{FEFF}виза", "виза");
    }

    #[test]
    fn fold_keeps_apostrophes_inside_words_only() {
        check_fold("don't", "don't");
        check_fold("'quoted'", "quoted'");
        check_fold("rabotat' li", "rabotat' li");
        check_fold("rabot’u", "rabot'u");
    }

    #[test]
    fn script_detects_latin_cyrillic_digits_and_mixed() {
        assert_eq!(script("permit"), Script::Latin);
        assert_eq!(script("разрешение"), Script::Cyrillic);
        assert_eq!(script("1414"), Script::Digits);
        assert_eq!(script("rаз"), Script::Other);
        assert_eq!(script("қазақ"), Script::Cyrillic);
    }

    #[test]
    fn stop_words_cover_both_languages() {
        assert!(is_en_stop("the"));
        assert!(is_ru_stop("ли"));
        assert!(!is_en_stop("permit"));
        assert!(!is_ru_stop("разрешение"));
    }

    #[test]
    fn stemming_unifies_inflections() {
        assert_eq!(stem("разрешения"), stem("разрешение"));
        assert_eq!(stem("permits"), stem("permit"));
        assert_eq!(stem("working"), stem("work"));
        assert_eq!(stem("1414"), "1414");
    }

    #[track_caller]
    fn check_translit(latin: &str, cyrillic: &str) {
        assert_eq!(
            latin_to_cyrillic(latin),
            cyrillic,
            "latin_to_cyrillic({latin:?})"
        );
    }

    #[test]
    fn latin_typed_russian_maps_to_cyrillic() {
        check_translit("nuzhno", "нужно");
        check_translit("razreshenie", "разрешение");
        check_translit("rabotu", "работу");
        check_translit("kazakhstane", "казахстане");
        check_translit("kazahstane", "казахстане");
        check_translit("shchit", "щит");
        check_translit("chas", "час");
        check_translit("yazyk", "язык");
        check_translit("yuriST".to_lowercase().as_str(), "юрист");
        check_translit("tsena", "цена");
        check_translit("mozhno", "можно");
        check_translit("pens'ya", "пенсья");
        check_translit("dnei", "днеи");
        check_translit("rabotat'", "работать");
        check_translit("novyi", "новый");
        check_translit("trudovoy", "трудовой");
        check_translit("kakoi", "какои");
        check_translit("dney", "дней");
        check_translit("skolko", "сколко");
        check_translit("vrachey", "врачей");
        check_translit("registratsiya", "регистрация");
    }

    #[test]
    fn ambiguous_latin_spellings_have_their_other_readings() {
        for (latin, expected) in [
            ("detskiy", &["детский"][..]),
            ("rashod", &["расход"][..]),
            ("schet", &["счет"][..]),
            ("kakoi", &["какой"][..]),
            ("stroike", &["стройке"][..]),
            ("eto", &["это"][..]),
            ("mojno", &["можно"][..]),
            ("jena", &["жена"][..]),
            // `shch` is щ either way; `tsh` stays ч.
            ("shchit", &[][..]),
            ("rabota", &[][..]),
            // Two ambiguous spellings give two readings, each changing one.
            ("detskoi", &["детскои", "децкой"][..]),
        ] {
            assert_eq!(
                latin_to_cyrillic_alternatives(latin),
                expected,
                "latin_to_cyrillic_alternatives({latin:?})"
            );
        }
    }

    #[test]
    fn latin_words_of_a_message_map_to_cyrillic_and_the_rest_stays() {
        for (folded, expected) in [
            ("nuzhno li razreshenie", "нужно ли разрешение"),
            ("skolko stoit v 2026 godu", "сколко стоит в 2026 году"),
            ("uvedomlenie na egov kz", "уведомление на егов кз"),
            ("можно ли rabotat' в рк", "можно ли работать в рк"),
            ("", ""),
        ] {
            assert_eq!(
                latin_words_to_cyrillic(folded),
                expected,
                "latin_words_to_cyrillic({folded:?})"
            );
        }
    }
}
