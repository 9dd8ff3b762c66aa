//! Telegram HTML for replies, and splitting long replies. Pure: text in, text out.
//!
//! Everything that comes from users or from the knowledge files is escaped here, once, at the edge.

use crate::knowledge::{KnowledgeBase, Lang, SourceKind};
use crate::present::{attribution, AnswerView};

/// Telegram's limit on a message's length, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4096;

/// Escapes text for Telegram's HTML parse mode (`&`, `<`, `>` and `"`, which matters inside attributes).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// An answer as Telegram HTML: the answer, the source statement with its speaker, the link, the verified date
/// and the caution.
pub fn answer_html(kb: &KnowledgeBase, view: &AnswerView, lang: Lang) -> String {
    let t = |key: &str| escape(kb.texts.get(key, lang));
    let mut out = String::new();
    out.push_str(&escape(view.answer));
    out.push_str("\n\n");
    match (view.kind, attribution(view)) {
        (SourceKind::Quote, Some(who)) => {
            out.push_str(&format!("<b>{}</b>: {}\n", t("label_source"), escape(&who)));
            out.push_str(&format!(
                "<blockquote>«{}»</blockquote>\n",
                escape(view.statement)
            ));
        }
        _ => out.push_str(&format!(
            "<b>{}</b>: {}\n",
            t("label_summary"),
            escape(view.statement)
        )),
    }
    let title = match view.source_date {
        Some(d) => format!("{} ({})", escape(view.title), escape(d)),
        None => escape(view.title),
    };
    out.push_str(&format!("<a href=\"{}\">{title}</a>\n", escape(view.url)));
    out.push_str(&format!(
        "<i>{}</i>",
        escape(
            &kb.texts
                .get("label_verified", lang)
                .replace("{date}", view.verified)
        )
    ));
    if let Some(c) = view.caution {
        out.push_str(&format!(
            "\n\n⚠️ <b>{}</b>: {}",
            t("label_caution"),
            escape(c)
        ));
    }
    out
}

/// Splits a reply into messages of at most [`MAX_MESSAGE_CHARS`] characters, at paragraph boundaries where it
/// can, else at a line or a space, never inside an HTML entity or tag.
pub fn split_message(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for para in text.split("\n\n") {
        let candidate_len = current.chars().count() + 2 + para.chars().count();
        if !current.is_empty() && candidate_len > MAX_MESSAGE_CHARS {
            parts.push(std::mem::take(&mut current));
        }
        if para.chars().count() > MAX_MESSAGE_CHARS {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            parts.extend(hard_split(para));
            continue;
        }
        if !current.is_empty() {
            current.push_str("\n\n");
        }
        current.push_str(para);
    }
    if !current.trim().is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

/// Splits one over-long paragraph at the last newline or space before the limit, outside entities and tags.
fn hard_split(para: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest: Vec<char> = para.chars().collect();
    while rest.len() > MAX_MESSAGE_CHARS {
        let window = &rest[..MAX_MESSAGE_CHARS];
        let safe = |i: usize| {
            // Not inside `&...;` or `<...>`: look back for an opener without its closer.
            let before = &window[..i];
            let amp = before.iter().rposition(|&c| c == '&');
            let semi = before.iter().rposition(|&c| c == ';');
            let lt = before.iter().rposition(|&c| c == '<');
            let gt = before.iter().rposition(|&c| c == '>');
            amp.is_none_or(|a| semi.is_some_and(|s| s > a))
                && lt.is_none_or(|l| gt.is_some_and(|g| g > l))
        };
        let cut = (1..MAX_MESSAGE_CHARS)
            .rev()
            .find(|&i| window[i] == '\n' && safe(i))
            .or_else(|| {
                (1..MAX_MESSAGE_CHARS)
                    .rev()
                    .find(|&i| window[i] == ' ' && safe(i))
            })
            .or_else(|| (1..MAX_MESSAGE_CHARS).rev().find(|&i| safe(i)))
            .unwrap_or(MAX_MESSAGE_CHARS);
        parts.push(rest[..cut].iter().collect::<String>());
        rest = rest[cut..]
            .iter()
            .skip_while(|c| c.is_whitespace())
            .copied()
            .collect();
    }
    if !rest.is_empty() {
        parts.push(rest.into_iter().collect());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_and_quotes() {
        assert_eq!(
            escape("<b>a & \"b\"</b>"),
            "&lt;b&gt;a &amp; &quot;b&quot;&lt;/b&gt;"
        );
        assert_eq!(escape("привет"), "привет");
    }

    #[test]
    fn short_replies_are_not_split() {
        assert_eq!(split_message("one\n\ntwo"), vec!["one\n\ntwo".to_string()]);
    }

    #[test]
    fn long_replies_split_at_paragraphs_within_the_limit() {
        let para = "word ".repeat(300);
        let text = [para.trim(); 5].join("\n\n");
        let parts = split_message(&text);
        assert!(parts.len() >= 2);
        for p in &parts {
            assert!(p.chars().count() <= MAX_MESSAGE_CHARS);
            assert!(!p.starts_with("\n"));
        }
        let rejoined: String = parts.join("\n\n");
        assert_eq!(
            rejoined.matches("word").count(),
            text.matches("word").count()
        );
    }

    #[test]
    fn one_huge_paragraph_splits_outside_entities() {
        let text = "&amp;".repeat(2000);
        let parts = split_message(&text);
        assert!(parts.len() >= 2);
        for p in &parts {
            assert!(p.chars().count() <= MAX_MESSAGE_CHARS);
            assert!(p.starts_with("&amp;") && p.ends_with(';'), "{}", &p[..20]);
        }
    }
}
