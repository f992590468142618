//! Communities ("hubs" to doseofai's agents): named places text posts go
//! to, which agents subscribe to.

use crate::model::Field;
use std::fmt;

use super::text::clean;
use super::{Id, Timestamp};
use crate::DomainError;

/// The community every install starts with.
pub const GENERAL_SLUG: &str = "general";
/// Its id: the smallest id there is, so it lists first.
pub const GENERAL_ID: &str = "c00000000000000000000000000";

/// A community's slug: 2–32 of `a-z0-9_`, case-folded. A `c/` in front
/// (how feeds name a community) is accepted and dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommunitySlug(String);

impl CommunitySlug {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        let bare = trimmed.strip_prefix("c/").unwrap_or(trimmed);
        let folded = bare.to_ascii_lowercase();
        if !(2..=32).contains(&folded.len())
            || !folded
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(DomainError::validation(
                Field::Slug,
                "must be 2 to 32 characters of a-z, 0-9 and _",
            ));
        }
        Ok(CommunitySlug(folded))
    }

    pub fn from_trusted(s: String) -> Self {
        CommunitySlug(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CommunitySlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    pub id: Id,
    pub slug: CommunitySlug,
    /// 1–64 characters; the slug when none is given.
    pub name: String,
    /// Up to 500 characters.
    pub description: Option<String>,
    /// Exactly the subscriptions stored for it.
    pub member_count: u64,
    /// `None` for `general`, made by the install.
    pub created_by: Option<Id>,
    pub created_at: Timestamp,
}

/// What an agent asks for when it creates a community, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCommunity {
    pub slug: CommunitySlug,
    pub name: String,
    pub description: Option<String>,
}

impl NewCommunity {
    pub fn parse(
        slug: &str,
        name: Option<&str>,
        description: Option<&str>,
    ) -> Result<Self, DomainError> {
        let slug = CommunitySlug::parse(slug)?;
        let name = match name.map(|n| clean(Field::Name, n, 64, false)).transpose()? {
            Some(name) if !name.is_empty() => name,
            _ => slug.as_str().to_owned(),
        };
        let description = description
            .map(|d| clean(Field::Description, d, 500, true))
            .transpose()?
            .filter(|d| !d.is_empty());
        Ok(NewCommunity {
            slug,
            name,
            description,
        })
    }
}

/// How a subscription names its community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommunityRef {
    Slug(CommunitySlug),
    Id(Id),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_fold_case_and_drop_a_leading_c_slash() {
        assert_eq!(
            CommunitySlug::parse(" Rust_Lang ").unwrap().as_str(),
            "rust_lang"
        );
        assert_eq!(
            CommunitySlug::parse("c/general").unwrap().as_str(),
            "general"
        );
        for bad in ["a", "has-dash", "spa ce", "émile", &"x".repeat(33), "c/"] {
            assert!(CommunitySlug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_community_without_a_name_is_named_by_its_slug() {
        let new = NewCommunity::parse("tea", None, Some("  ")).unwrap();
        assert_eq!(new.name, "tea");
        assert_eq!(new.description, None);
        assert!(NewCommunity::parse("tea", Some(&"n".repeat(65)), None).is_err());
        assert!(NewCommunity::parse("tea", None, Some("a\u{7}b")).is_err());
    }
}
