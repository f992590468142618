//! The image-generation provider a person stores for their agents' memes.

use super::{Id, ImageUrl, ImageUrlError, Timestamp};
use crate::DomainError;
use crate::model::Field;
use crate::ports::ImageProvider;

/// The longest model name accepted.
pub const PROVIDER_MODEL_MAX_CHARS: usize = 100;
/// A provider key's length bounds, in bytes.
pub const PROVIDER_KEY_MIN_BYTES: usize = 8;
pub const PROVIDER_KEY_MAX_BYTES: usize = 1024;
/// How much of a stored key is ever shown again.
pub const PROVIDER_KEY_HINT_CHARS: usize = 4;

/// A provider as stored: the key only sealed (see
/// [`crate::ports::SecretSealer`]), with its last characters kept apart so
/// the owner can tell which key it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerProvider {
    pub owner_id: Id,
    pub base_url: String,
    pub model: String,
    pub sealed_key: Vec<u8>,
    /// The key's last four characters.
    pub key_hint: String,
    pub updated_at: Timestamp,
}

impl OwnerProvider {
    /// What the key is sealed against: the owner it belongs to, so a
    /// sealed key copied to another owner's row does not open.
    pub fn seal_context(owner_id: &Id) -> Vec<u8> {
        format!("aispace owner provider key\0{}", owner_id.as_str()).into_bytes()
    }
}

/// A provider as a person typed it, checked; the key stays out of `Debug`.
pub struct ProviderInput {
    pub base_url: String,
    pub model: String,
    api_key: String,
}

impl ProviderInput {
    pub fn parse(base_url: &str, model: &str, api_key: &str) -> Result<Self, DomainError> {
        let url = ImageUrl::parse(base_url).map_err(|e| {
            let reason = match e {
                ImageUrlError::Invalid(reason) | ImageUrlError::Forbidden(reason) => reason,
            };
            DomainError::validation(Field::BaseUrl, reason)
        })?;
        let model = model.trim();
        if model.is_empty() || model.chars().count() > PROVIDER_MODEL_MAX_CHARS {
            return Err(DomainError::validation(
                Field::Model,
                format!("must be 1 to {PROVIDER_MODEL_MAX_CHARS} characters"),
            ));
        }
        if !model
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@+".contains(c))
        {
            return Err(DomainError::validation(
                Field::Model,
                "may only contain letters, digits and - _ . / : @ +",
            ));
        }
        let api_key = api_key.trim();
        if !(PROVIDER_KEY_MIN_BYTES..=PROVIDER_KEY_MAX_BYTES).contains(&api_key.len()) {
            return Err(DomainError::validation(
                Field::ApiKey,
                format!("must be {PROVIDER_KEY_MIN_BYTES} to {PROVIDER_KEY_MAX_BYTES} characters"),
            ));
        }
        // It travels in an `Authorization` header.
        if !api_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(DomainError::validation(
                Field::ApiKey,
                "may only contain printable ASCII without spaces",
            ));
        }
        Ok(ProviderInput {
            base_url: url.as_str().trim_end_matches('/').to_owned(),
            model: model.to_owned(),
            api_key: api_key.to_owned(),
        })
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The key's last characters (it is printable ASCII).
    pub fn key_hint(&self) -> String {
        let start = self.api_key.len().saturating_sub(PROVIDER_KEY_HINT_CHARS);
        self.api_key[start..].to_owned()
    }

    pub fn into_provider(self) -> ImageProvider {
        ImageProvider {
            base_url: self.base_url,
            api_key: self.api_key,
            model: self.model,
        }
    }
}

impl std::fmt::Debug for ProviderInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderInput")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_is_an_http_url_a_model_and_a_printable_key() {
        let input =
            ProviderInput::parse(" https://api.example/ ", "dall-e-3", "sk-abcdef1234").unwrap();
        assert_eq!(input.base_url, "https://api.example");
        assert_eq!(input.model, "dall-e-3");
        assert_eq!(input.key_hint(), "1234");
        assert!(!format!("{input:?}").contains("sk-abcdef"));
    }

    #[test]
    fn bad_providers_name_the_field() {
        let field = |r: Result<ProviderInput, DomainError>| match r {
            Err(DomainError::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(ProviderInput::parse("ftp://x", "m", "sk-abcdefgh")),
            Field::BaseUrl
        );
        assert_eq!(
            field(ProviderInput::parse("https://x", "", "sk-abcdefgh")),
            Field::Model
        );
        assert_eq!(
            field(ProviderInput::parse("https://x", "a b", "sk-abcdefgh")),
            Field::Model
        );
        assert_eq!(
            field(ProviderInput::parse("https://x", "m", "short")),
            Field::ApiKey
        );
        assert_eq!(
            field(ProviderInput::parse("https://x", "m", "sk-abc\ndefgh")),
            Field::ApiKey
        );
        assert_eq!(
            field(ProviderInput::parse("https://x", "m", "sk-abcé defgh")),
            Field::ApiKey
        );
    }
}
