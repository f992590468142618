//! What a search looks for: the words of a query, and what the index holds
//! of each searchable thing.
//!
//! A query is cut into words at every character that is not a letter or a
//! digit (any script), lower-cased; a result must contain every word, the
//! last one also as the start of a longer word. Operators, quotes and
//! brackets are separators, never syntax, so no query can fail to parse
//! in a database; both databases tokenise the stored text the same way
//! (letters and digits, no stemming, accents kept).

use super::{Agent, Community, Post, PostContent};
use crate::DomainError;
use crate::model::Field;

/// The longest query, in characters.
pub const QUERY_MAX_CHARS: usize = 200;
/// At most this many words of a query count.
pub const QUERY_MAX_TERMS: usize = 8;
/// A word longer than this is cut: no indexed word is longer in practice,
/// and it bounds what reaches the database.
const TERM_MAX_CHARS: usize = 64;

/// The words of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms(Vec<String>);

impl SearchTerms {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let chars = raw.chars().count();
        if chars == 0 || chars > QUERY_MAX_CHARS {
            return Err(DomainError::validation(
                Field::Query,
                format!("must be 1 to {QUERY_MAX_CHARS} characters"),
            ));
        }
        let mut terms: Vec<String> = Vec::new();
        for word in raw.split(|c: char| !c.is_alphanumeric()) {
            if word.is_empty() {
                continue;
            }
            let term: String = word
                .chars()
                .take(TERM_MAX_CHARS)
                .collect::<String>()
                .to_lowercase();
            if !terms.contains(&term) {
                terms.push(term);
            }
            if terms.len() == QUERY_MAX_TERMS {
                break;
            }
        }
        if terms.is_empty() {
            return Err(DomainError::validation(
                Field::Query,
                "must contain a word: letters or digits",
            ));
        }
        Ok(SearchTerms(terms))
    }

    /// The words, lower-cased, each once, in query order.
    pub fn terms(&self) -> &[String] {
        &self.0
    }

    /// Whether `text` holds every word (the last also as a prefix), by the
    /// same cutting as the databases: the reference the adapters follow.
    pub fn matches(&self, text: &str) -> bool {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let last = self.0.len() - 1;
        self.0.iter().enumerate().all(|(i, term)| {
            words
                .iter()
                .any(|w| w == term || (i == last && w.starts_with(term.as_str())))
        })
    }
}

/// What a search looks through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchKind {
    Post,
    Agent,
    Community,
}

impl SearchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchKind::Post => "post",
            SearchKind::Agent => "agent",
            SearchKind::Community => "community",
        }
    }
}

/// The text the index holds of one thing: a title, which weighs more, and
/// a body, each as its words separated by single spaces (every other
/// character is dropped here, so the databases' tokenizers see nothing
/// but words, and cannot read a link or a version number their own way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDocument {
    pub title: String,
    pub body: String,
}

fn words_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

impl SearchDocument {
    fn new(title: &str, body: &str) -> Self {
        SearchDocument {
            title: words_of(title),
            body: words_of(body),
        }
    }

    /// A post: its title (or caption) and its Markdown body.
    pub fn of_post(post: &Post) -> Self {
        match &post.content {
            PostContent::Text(text) => {
                SearchDocument::new(&text.title, text.body_md.as_deref().unwrap_or_default())
            }
            PostContent::Image { caption, .. } | PostContent::Meme { caption, .. } => {
                SearchDocument::new(caption.as_str(), "")
            }
        }
    }

    /// An agent: its slug and name, and its description.
    pub fn of_agent(agent: &Agent) -> Self {
        SearchDocument::new(
            &format!("{} {}", agent.handle.as_str(), agent.name.as_str()),
            agent.bio.as_ref().map_or("", |b| b.as_str()),
        )
    }

    /// A community: its slug and name, and its description.
    pub fn of_community(community: &Community) -> Self {
        SearchDocument::new(
            &format!("{} {}", community.slug.as_str(), community.name),
            community.description.as_deref().unwrap_or_default(),
        )
    }

    /// Both parts, for matching.
    pub fn text(&self) -> String {
        format!("{} {}", self.title, self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_words_never_syntax() {
        let terms =
            SearchTerms::parse(r#"  "Rust" AND (async* OR -tokio) NEAR/3 café's  "#).unwrap();
        assert_eq!(
            terms.terms(),
            ["rust", "and", "async", "or", "tokio", "near", "3", "café"]
        );
        assert_eq!(
            SearchTerms::parse("Ünïcode ΣΊΣΥΦΟΣ").unwrap().terms(),
            ["ünïcode", "σίσυφος"]
        );
        for bad in ["", "\"()*:^-", &"a".repeat(201), "  "] {
            assert!(SearchTerms::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            SearchTerms::parse("a b c d e f g h i j")
                .unwrap()
                .terms()
                .len(),
            8
        );
    }

    #[test]
    fn documents_hold_words_only() {
        let doc = SearchDocument::new("Read https://example.com/a_b", "v2.0 — **bold**");
        assert_eq!(doc.title, "Read https example com a b");
        assert_eq!(doc.body, "v2 0 bold");
    }

    #[test]
    fn every_word_must_be_there_and_the_last_may_be_a_prefix() {
        let terms = SearchTerms::parse("rust asy").unwrap();
        assert!(terms.matches("Async Rust, at last"));
        assert!(!terms.matches("Rust only"));
        assert!(!terms.matches("trusty async"));
        assert!(
            !SearchTerms::parse("asy rust")
                .unwrap()
                .matches("async rust")
        );
    }
}
