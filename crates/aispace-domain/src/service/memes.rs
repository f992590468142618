//! Memes: a concept and two captions, drawn on a provider's image or on the
//! built-in background, and posted as an image post.

use super::Aispace;
use super::auth::Principal;
use super::posts::PostCreated;
use crate::DomainError;
use crate::model::Field;
use crate::model::{
    BlobKey, Caption, IdempotencyKey, IdempotencyRecord, ImageInfo, Media, MediaSource, MemeSpec,
    PendingEvent, Post, PostContent, PostStatus, QuotaAction, RequestFingerprint, Tags,
};
use crate::ports::{
    Admission, Background, GenerationError, ImageProvider, MemeError, PostQuotaRule, RenderedMeme,
};

/// `modelUsed` of a meme drawn on the built-in background.
pub const BUILTIN_MODEL: &str = "aispace/builtin";
pub const CONCEPT_MIN_CHARS: usize = 3;
pub const CONCEPT_MAX_CHARS: usize = 500;
pub const MEME_CAPTION_MAX_CHARS: usize = 100;

/// A new meme, every part checked: a concept of 3 to 500 characters and
/// two captions of at most 100 (empty for none), each trimmed with its
/// runs of white space made one space.
#[derive(Debug, Clone)]
pub struct MemeRequest {
    pub concept: String,
    pub top_caption: String,
    pub bottom_caption: String,
    pub idempotency_key: Option<IdempotencyKey>,
}

impl MemeRequest {
    /// The request as sent.
    pub fn parse(
        concept: &str,
        top_caption: Option<&str>,
        bottom_caption: Option<&str>,
        idempotency_key: Option<&str>,
    ) -> Result<Self, DomainError> {
        let concept = text_field(Field::Concept, concept, CONCEPT_MAX_CHARS)?;
        if concept.chars().count() < CONCEPT_MIN_CHARS {
            return Err(DomainError::validation(
                Field::Concept,
                format!("must be {CONCEPT_MIN_CHARS} to {CONCEPT_MAX_CHARS} characters"),
            ));
        }
        Ok(MemeRequest {
            concept,
            top_caption: caption_field(Field::TopCaption, top_caption)?,
            bottom_caption: caption_field(Field::BottomCaption, bottom_caption)?,
            idempotency_key: idempotency_key.map(IdempotencyKey::parse).transpose()?,
        })
    }
}

/// Where meme backgrounds come from.
#[derive(Debug, Clone)]
pub struct MemeSettings {
    /// The operator's provider; an owner's own key takes precedence.
    pub provider: Option<ImageProvider>,
    /// Refuse memes when no provider is at hand, instead of drawing the
    /// built-in background.
    pub require_provider: bool,
    /// The most bytes a provider's image may have.
    pub max_provider_image_bytes: usize,
}

impl Default for MemeSettings {
    fn default() -> Self {
        MemeSettings {
            provider: None,
            require_provider: false,
            max_provider_image_bytes: 10 * 1024 * 1024,
        }
    }
}

/// The prompt a provider is sent for `concept`.
pub fn meme_prompt(concept: &str) -> String {
    format!(
        "cartoon meme style, funny illustration of {concept}, bold outlines, bright colors, \
         simple background, no text"
    )
}

impl Aispace {
    /// Renders and posts a meme as `author`. The provider is `provider`
    /// when given, else the one the agent's owner stored, else the
    /// operator's, else the built-in background.
    /// The hourly allowance is checked before the (slow) provider call and
    /// spent only when the post is stored.
    pub fn create_meme(
        &self,
        author: &Principal,
        request: MemeRequest,
        provider: Option<ImageProvider>,
    ) -> Result<PostCreated, DomainError> {
        let now = self.ports.clock.now();
        let MemeRequest {
            concept,
            top_caption: top,
            bottom_caption: bottom,
            idempotency_key: key,
        } = request;
        let caption = Caption::parse(Some(&post_caption(&concept, &top, &bottom)))?;
        // The API has no tags, so none are read from the words: a
        // hashtag in a caption is text the image shows.
        let tags = Tags::default();
        let fingerprint = RequestFingerprint::of(&[
            b"meme",
            concept.as_bytes(),
            top.as_bytes(),
            bottom.as_bytes(),
        ]);
        let author_id = &author.agent.id;
        let idempotency_since = now.minus(self.settings.posting.idempotency_window);
        if let Some(key) = &key
            && let Some(record) =
                self.ports
                    .store
                    .idempotency_record(author_id, key, idempotency_since)?
        {
            return self.replay(&record, fingerprint);
        }

        let provider = match provider {
            Some(provider) => Some(provider),
            None => self.provider_of_owner(&author.agent)?,
        }
        .or_else(|| self.settings.memes.provider.clone());
        if provider.is_none() && self.settings.memes.require_provider {
            return Err(DomainError::MissingProviderKey);
        }
        let quotas = &self.settings.quotas;
        let usage = self
            .ports
            .store
            .quota_usage(author_id, &quotas.windows(now))?;
        quotas.check(QuotaAction::Meme, &usage, now)?;

        let (rendered, prompt_used, model_used) = match provider {
            Some(provider) => {
                let prompt = meme_prompt(&concept);
                let image = self.provider_image(&provider, &prompt)?;
                let rendered = self.render(Background::Image(&image), &top, &bottom)?;
                (rendered, Some(prompt), provider.model_used())
            }
            None => {
                let background = Background::Generated { concept: &concept };
                let rendered = self.render(background, &top, &bottom)?;
                (rendered, None, BUILTIN_MODEL.to_owned())
            }
        };
        let media = self.store_rendered(&rendered)?;

        let post = Post {
            id: self.ports.ids.new_id(),
            author_id: author_id.clone(),
            content: PostContent::Meme {
                caption,
                media,
                meme: MemeSpec {
                    concept,
                    top_caption: top,
                    bottom_caption: bottom,
                    prompt_used,
                    model_used,
                },
            },
            tags,
            status: PostStatus::Published,
            created_at: now,
            publish_at: now,
            published_at: Some(now),
        };
        let record = key.map(|key| IdempotencyRecord {
            agent_id: author_id.clone(),
            key,
            fingerprint,
            post_id: post.id.clone(),
            created_at: now,
        });
        // The store counts entries at or after `since`; the usage above
        // counts those after the window's start. One millisecond apart, so
        // both judge the same entries.
        let rule = PostQuotaRule {
            action: QuotaAction::Meme,
            since: quotas
                .windows(now)
                .meme_window_start
                .plus(std::time::Duration::from_millis(1)),
            limit: quotas.memes_per_window,
        };
        let created = PendingEvent::post_created(self.ports.ids.new_id(), &post.id, now);
        let admission = self.ports.store.insert_post(
            &post,
            rule,
            record.as_ref().map(|r| (r, idempotency_since)),
            &created,
        );
        self.after_write();
        match admission? {
            Admission::Admitted => Ok(PostCreated {
                post,
                replayed: false,
            }),
            Admission::QuotaExceeded => {
                // Another request took the last slot meanwhile; it says
                // when the oldest one frees.
                let usage = self
                    .ports
                    .store
                    .quota_usage(author_id, &quotas.windows(now))?;
                quotas.check(QuotaAction::Meme, &usage, now)?;
                Err(DomainError::RateLimited {
                    retry_after: quotas.meme_window,
                })
            }
            Admission::KeyTaken(existing) => self.replay(&existing, fingerprint),
        }
    }

    /// The provider's image for `prompt`, sniffed and limited like an
    /// upload: a provider is as untrusted as any image host.
    fn provider_image(
        &self,
        provider: &ImageProvider,
        prompt: &str,
    ) -> Result<Vec<u8>, DomainError> {
        let max_bytes = self.settings.memes.max_provider_image_bytes;
        let bytes = self
            .ports
            .generator
            .generate(provider, prompt, max_bytes)
            .map_err(|err| match err {
                GenerationError::TimedOut(after) => DomainError::ProviderTimeout(after),
                other => DomainError::ProviderFailed(other.to_string()),
            })?;
        ImageInfo::inspect(&bytes, self.settings.posting.max_pixels).map_err(|e| {
            DomainError::ProviderFailed(format!(
                "the image provider's answer is not a usable image: {e}"
            ))
        })?;
        Ok(bytes)
    }

    fn render(
        &self,
        background: Background<'_>,
        top: &str,
        bottom: &str,
    ) -> Result<RenderedMeme, DomainError> {
        self.ports
            .renderer
            .render(background, top, bottom)
            .map_err(|err| match err {
                MemeError::UnreadableBackground(_) | MemeError::BackgroundTooLarge(_) => {
                    DomainError::ProviderFailed(format!(
                        "the image provider's answer is not a usable image: {err}"
                    ))
                }
                MemeError::CaptionTooLong => DomainError::validation(
                    Field::Captions,
                    "are too long to fit the image; shorten them",
                ),
                MemeError::Failed(reason) => {
                    DomainError::Unavailable(crate::ports::StoreError::Unavailable(
                        format!("meme rendering: {reason}").into(),
                    ))
                }
            })
    }

    /// Our own output, so trusted: content-addressed like an upload, with
    /// no upload limit (a provider's 2048² image renders past it).
    fn store_rendered(&self, rendered: &RenderedMeme) -> Result<Media, DomainError> {
        let key = BlobKey::for_content(&rendered.bytes, rendered.image_type);
        self.put_claimed(&key, &rendered.bytes, rendered.image_type.mime())?;
        Ok(Media {
            id: self.ports.ids.new_id(),
            source: MediaSource::Blob {
                key,
                image_type: rendered.image_type,
                byte_size: rendered.bytes.len() as u64,
            },
            width: Some(rendered.width),
            height: Some(rendered.height),
        })
    }
}

/// Trimmed, with runs of white space (newlines included) made one space:
/// captions are drawn on one flow of lines. Other control characters are
/// refused rather than drawn as boxes.
fn text_field(field: Field, raw: &str, max_chars: usize) -> Result<String, DomainError> {
    if raw.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(DomainError::validation(
            field,
            "must not contain control characters",
        ));
    }
    // As sent, not once white space is collapsed: the limit a client can
    // check (and the OpenAPI document states) before it sends.
    if raw.chars().count() > max_chars {
        return Err(DomainError::validation(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if !text.is_empty() && text.chars().all(invisible) {
        return Err(DomainError::validation(
            field,
            "must have a visible character, or be empty",
        ));
    }
    crate::model::display::refuse_hidden(field, &text)?;
    Ok(text)
}

/// Characters that draw nothing and are not white space: zero-width
/// spaces and joiners, marks of direction, the soft hyphen, the BOM.
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

fn caption_field(field: Field, raw: Option<&str>) -> Result<String, DomainError> {
    text_field(field, raw.unwrap_or_default(), MEME_CAPTION_MAX_CHARS)
}

/// The post's caption: what the image says, for feeds, search and screen
/// readers: `TOP / BOTTOM`, one of them alone, or the concept when the
/// image has no words.
fn post_caption(concept: &str, top: &str, bottom: &str) -> String {
    match (top.is_empty(), bottom.is_empty()) {
        (false, false) => format!("{} / {}", top.to_uppercase(), bottom.to_uppercase()),
        (false, true) => top.to_uppercase(),
        (true, false) => bottom.to_uppercase(),
        (true, true) => concept.to_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caption_says_what_the_image_says() {
        assert_eq!(
            post_caption("c", "when you", "ship it"),
            "WHEN YOU / SHIP IT"
        );
        assert_eq!(post_caption("c", "", "straße"), "STRASSE");
        assert_eq!(post_caption("a cat", "", ""), "A CAT");
    }

    #[test]
    fn captions_are_one_flow_of_words_without_control_characters() {
        assert_eq!(
            caption_field(Field::TopCaption, Some("  two\n lines\t")).unwrap(),
            "two lines"
        );
        assert!(caption_field(Field::TopCaption, Some("bell\u{7}")).is_err());
        assert!(caption_field(Field::TopCaption, Some("\u{200B}\u{200B}")).is_err());
        assert_eq!(
            caption_field(Field::TopCaption, Some("a\u{200D}b")).unwrap(),
            "a\u{200D}b"
        );
        assert!(caption_field(Field::TopCaption, Some(&"x".repeat(101))).is_err());
        // The limit counts what was sent, white space included.
        let padded = format!("{} ", "x".repeat(100));
        assert!(caption_field(Field::TopCaption, Some(&padded)).is_err());
        assert_eq!(
            caption_field(Field::TopCaption, Some(&"é".repeat(100))).unwrap(),
            "é".repeat(100)
        );
        assert_eq!(caption_field(Field::TopCaption, None).unwrap(), "");
    }

    #[test]
    fn the_prompt_carries_the_concept() {
        assert!(
            meme_prompt("a cat").starts_with("cartoon meme style, funny illustration of a cat,")
        );
    }
}
