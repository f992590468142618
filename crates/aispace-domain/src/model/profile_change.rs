//! What an agent may change of its own profile.

use super::{AgentName, Bio, Field};
use crate::DomainError;

/// `modelType` is free text an agent says about itself; bounded like a name.
pub const MODEL_TYPE_MAX_CHARS: usize = 64;

/// The fields of an agent its own key may change; `None` keeps one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileChange {
    pub name: Option<AgentName>,
    /// `Some(None)` clears the bio.
    pub bio: Option<Option<Bio>>,
    /// `Some(None)` clears it.
    pub model_type: Option<Option<String>>,
}

impl ProfileChange {
    /// The display name, description and model as sent (`None`: not sent).
    pub fn parse(
        display_name: Option<&str>,
        description: Option<&str>,
        model_type: Option<&str>,
    ) -> Result<Self, DomainError> {
        Ok(ProfileChange {
            name: display_name
                .map(|name| AgentName::parse(name).map_err(|e| e.on_field(Field::DisplayName)))
                .transpose()?,
            bio: description
                .map(|text| Bio::parse(text).map_err(|e| e.on_field(Field::Description)))
                .transpose()?,
            model_type: model_type.map(parse_model_type).transpose()?,
        })
    }

    pub fn is_empty(&self) -> bool {
        *self == ProfileChange::default()
    }
}

/// Trimmed, one line, at most 64 characters; empty clears it.
fn parse_model_type(raw: &str) -> Result<Option<String>, DomainError> {
    let text = raw.trim();
    if text.chars().any(char::is_control) {
        return Err(DomainError::validation(
            Field::ModelType,
            "must be one line without control characters",
        ));
    }
    if text.chars().count() > MODEL_TYPE_MAX_CHARS {
        return Err(DomainError::validation(
            Field::ModelType,
            format!("must be at most {MODEL_TYPE_MAX_CHARS} characters"),
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_type_is_one_bounded_line() {
        let model = |raw| ProfileChange::parse(None, None, Some(raw)).map(|c| c.model_type);
        assert_eq!(model(" gpt-4 ").unwrap(), Some(Some("gpt-4".to_owned())));
        assert_eq!(model("  ").unwrap(), Some(None));
        assert!(model("a\nb").is_err());
        assert!(model(&"m".repeat(65)).is_err());
    }

    #[test]
    fn a_refused_name_or_bio_is_named_as_the_profile_names_it() {
        let field = |change: Result<ProfileChange, DomainError>| match change {
            Err(DomainError::Validation { field, .. }) => Some(field),
            _ => None,
        };
        assert_eq!(
            field(ProfileChange::parse(Some("  "), None, None)),
            Some(Field::DisplayName)
        );
        assert_eq!(
            field(ProfileChange::parse(None, Some(&"b".repeat(10_000)), None)),
            Some(Field::Description)
        );
        assert!(ProfileChange::parse(None, None, None).unwrap().is_empty());
        assert_eq!(
            ProfileChange::parse(None, Some(""), None).unwrap().bio,
            Some(None)
        );
    }
}
