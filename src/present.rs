//! What a reply says, independent of where it is shown.
//!
//! [`AnswerView`] collects what every answer shows (the answer, the source statement with its speaker, the
//! link, the verified date, the caution, related entries) from an entry, in the reader's language. Renderers
//! turn it into text: [`render_plain`] for the console here; the Telegram adapter renders the same view as HTML.

use crate::knowledge::{Entry, KnowledgeBase, Lang, SourceKind};

/// Everything an answer shows, in one language.
#[derive(Clone, Debug, PartialEq)]
pub struct AnswerView<'a> {
    pub entry_id: &'a str,
    pub answer: &'a str,
    pub statement: &'a str,
    pub kind: SourceKind,
    pub speaker: Option<&'a str>,
    pub role: Option<&'a str>,
    pub title: &'a str,
    pub url: &'a str,
    pub source_date: Option<&'a str>,
    pub verified: &'a str,
    pub caution: Option<&'a str>,
    /// Related entries as (id, title in the reader's language).
    pub related: Vec<(&'a str, &'a str)>,
}

/// Collects the view of `entry` for a reader of `lang`.
pub fn answer_view<'a>(kb: &'a KnowledgeBase, entry: &'a Entry, lang: Lang) -> AnswerView<'a> {
    let block = entry.block(lang);
    AnswerView {
        entry_id: &entry.id,
        answer: block.answer.trim(),
        statement: entry.source.statement_for(lang).trim(),
        kind: entry.source.kind,
        speaker: entry.source.speaker.as_deref(),
        role: entry.source.role.as_deref(),
        title: &entry.source.title,
        url: &entry.source.url,
        source_date: entry.source.date.as_deref(),
        verified: &entry.source.last_verified,
        caution: block.caution.as_deref().map(str::trim),
        related: entry
            .related
            .iter()
            .filter_map(|id| kb.entry(id))
            .map(|e| (e.id.as_str(), e.title(lang)))
            .collect(),
    }
}

/// The attribution line of a quote: "Speaker, role".
pub fn attribution(view: &AnswerView) -> Option<String> {
    view.speaker.map(|s| match view.role {
        Some(r) if !r.trim().is_empty() => format!("{s}, {r}"),
        _ => s.to_string(),
    })
}

/// The answer as plain text for the console.
pub fn render_plain(kb: &KnowledgeBase, view: &AnswerView, lang: Lang) -> String {
    let t = |key: &str| kb.texts.get(key, lang).to_string();
    let mut out = String::new();
    out.push_str(view.answer);
    out.push_str("\n\n");
    match (view.kind, attribution(view)) {
        (SourceKind::Quote, Some(who)) => {
            out.push_str(&format!(
                "{}: {who} — «{}»\n",
                t("label_source"),
                view.statement
            ));
        }
        _ => out.push_str(&format!("{}: {}\n", t("label_summary"), view.statement)),
    }
    match view.source_date {
        Some(d) => out.push_str(&format!("{} ({d})\n", view.title)),
        None => out.push_str(&format!("{}\n", view.title)),
    }
    out.push_str(&format!("{}: {}\n", t("label_link"), view.url));
    out.push_str(&t("label_verified").replace("{date}", view.verified));
    out.push('\n');
    if let Some(c) = view.caution {
        out.push_str(&format!("⚠ {}: {c}\n", t("label_caution")));
    }
    if !view.related.is_empty() {
        let titles: Vec<&str> = view.related.iter().map(|(_, title)| *title).collect();
        out.push_str(&format!("{}: {}\n", t("label_related"), titles.join(" · ")));
    }
    out
}
