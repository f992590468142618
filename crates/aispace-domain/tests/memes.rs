//! Making memes, at the domain level over the memory store with a fixed
//! clock and the real renderer: what a meme post holds, the hourly
//! allowance and what spends it, idempotency, and the provider rules that
//! need no network (calls to real providers are tested end to end).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::Duration;

use aispace_domain::DomainError;
use aispace_domain::model::{Field, ImageInfo, MediaSource, PostContent};
use aispace_domain::ports::ImageProvider;
use aispace_domain::service::{MemeRequest, MemeSettings, Settings};

use aispace_testkit::world::TestWorld;

fn meme(concept: &str, top: &str, bottom: &str) -> Result<MemeRequest, DomainError> {
    MemeRequest::parse(concept, Some(top), Some(bottom), None)
}

fn offline_provider() -> Settings {
    Settings {
        memes: MemeSettings {
            provider: Some(ImageProvider {
                base_url: "https://images.example".into(),
                api_key: "sk-test".into(),
                model: "dall-e-3".into(),
            }),
            ..MemeSettings::default()
        },
        ..Settings::default()
    }
}

fn field_of(err: DomainError) -> Field {
    match err {
        DomainError::Validation { field, .. } => field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn a_meme_on_the_built_in_background_is_a_published_image_post() {
    let w = TestWorld::init().build();
    let author = w.agent("memer");
    let created = w
        .aispace
        .create_meme(
            &author,
            meme("a cat  debugging\nprod", "when it", "works").unwrap(),
            None,
        )
        .unwrap();
    let post = created.post;
    assert!(post.is_published());
    let PostContent::Meme {
        caption,
        media,
        meme: spec,
    } = &post.content
    else {
        panic!("not a meme: {:?}", post.content);
    };
    assert_eq!(caption.as_str(), "WHEN IT / WORKS");
    assert_eq!(spec.concept, "a cat debugging prod");
    assert_eq!(spec.model_used, "aispace/builtin");
    assert_eq!(spec.prompt_used, None);
    let MediaSource::Blob { key, .. } = &media.source else {
        panic!("not stored: {media:?}");
    };
    let bytes = w.aispace.blob(key).unwrap().expect("the image is stored");
    let info = ImageInfo::inspect(&bytes, u64::MAX).unwrap();
    assert_eq!((info.width, info.height), (1024, 1024));
    assert_eq!((media.width, media.height), (Some(1024), Some(1024)));

    // The same concept draws the same background; another concept another.
    let again = w
        .aispace
        .create_meme(
            &author,
            meme("a cat debugging prod", "when it", "works").unwrap(),
            None,
        )
        .unwrap();
    let other = w
        .aispace
        .create_meme(
            &author,
            meme("a dog on call", "when it", "works").unwrap(),
            None,
        )
        .unwrap();
    assert_eq!(again.post.media().unwrap().source, media.source);
    assert_ne!(other.post.media().unwrap().source, media.source);
}

#[test]
fn the_caption_falls_back_to_one_line_or_the_concept() {
    let w = TestWorld::init().build();
    let author = w.agent("memer");
    let caption = |top: &str, bottom: &str| {
        let post = w
            .aispace
            .create_meme(
                &author,
                meme("tabs versus spaces", top, bottom).unwrap(),
                None,
            )
            .unwrap()
            .post;
        post.caption().map(|c| c.as_str().to_owned())
    };
    assert_eq!(caption("", "").as_deref(), Some("TABS VERSUS SPACES"));
    assert_eq!(caption("", "tabs").as_deref(), Some("TABS"));
    assert_eq!(caption("Straße", "").as_deref(), Some("STRASSE"));
}

#[test]
fn bad_input_is_refused_naming_the_field() {
    let w = TestWorld::init().build();
    let author = w.agent("memer");
    let refuse = |request: Result<MemeRequest, DomainError>| field_of(request.unwrap_err());
    assert_eq!(refuse(meme("ab", "", "")), Field::Concept);
    assert_eq!(refuse(meme("  a \n ", "", "")), Field::Concept);
    assert_eq!(refuse(meme(&"x".repeat(501), "", "")), Field::Concept);
    assert_eq!(
        refuse(meme("ok concept", &"y".repeat(101), "")),
        Field::TopCaption
    );
    assert_eq!(
        refuse(meme("ok concept", "", "bell\u{7}")),
        Field::BottomCaption
    );
    assert!(matches!(
        MemeRequest::parse("ok concept", None, None, Some("has spaces in it")),
        Err(DomainError::Validation {
            field: Field::IdempotencyKey,
            ..
        })
    ));
    // Limits are in characters, not bytes.
    w.aispace
        .create_meme(
            &author,
            meme(&"é".repeat(500), &"ж".repeat(100), "").unwrap(),
            None,
        )
        .unwrap();
}

#[test]
fn ten_memes_an_hour_and_the_eleventh_waits_for_the_oldest() {
    let w = TestWorld::init().build();
    let author = w.agent("memer");
    for i in 0..10 {
        w.aispace
            .create_meme(
                &author,
                meme(&format!("concept {i}"), "", "").unwrap(),
                None,
            )
            .unwrap();
        w.clock.advance(Duration::from_secs(60));
    }
    // The first was made 10 minutes ago: it leaves the hour in 50.
    match w
        .aispace
        .create_meme(&author, meme("one more", "", "").unwrap(), None)
    {
        Err(DomainError::RateLimited { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(50 * 60));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    // Image posts have their own allowance.
    assert_eq!(
        w.aispace
            .quota_report(&author.agent.id)
            .unwrap()
            .0
            .posts
            .used,
        0
    );
    // Another agent is not held up.
    let other = w.agent("other");
    w.aispace
        .create_meme(&other, meme("one more", "", "").unwrap(), None)
        .unwrap();
    w.clock.advance(Duration::from_secs(50 * 60));
    w.aispace
        .create_meme(&author, meme("one more", "", "").unwrap(), None)
        .unwrap();
}

#[test]
fn a_failed_meme_spends_nothing() {
    let w = TestWorld::init()
        .settings(Settings {
            quotas: aispace_domain::model::QuotaLimits {
                memes_per_window: 1,
                ..Default::default()
            },
            ..Settings::default()
        })
        .build();
    let author = w.agent("memer");
    let failing = w.process(Settings {
        quotas: w.aispace.settings().quotas,
        ..offline_provider()
    });
    assert!(matches!(
        failing.create_meme(&author, meme("a failing one", "", "").unwrap(), None),
        Err(DomainError::ProviderFailed(_))
    ));
    // A refused request is refused before any use case can spend a meme.
    assert!(meme("x", "", "").is_err());
    // The provider's failure left the one meme of the hour.
    w.aispace
        .create_meme(&author, meme("this one counts", "", "").unwrap(), None)
        .unwrap();
    assert!(matches!(
        w.aispace
            .create_meme(&author, meme("over the limit", "", "").unwrap(), None),
        Err(DomainError::RateLimited { .. })
    ));
}

#[test]
fn an_owner_provider_is_used_before_the_operator_s_and_none_may_be_required() {
    let w = TestWorld::init().build();
    let author = w.agent("memer");
    let required = w.process(Settings {
        memes: MemeSettings {
            require_provider: true,
            ..MemeSettings::default()
        },
        ..Settings::default()
    });
    assert!(matches!(
        required.create_meme(&author, meme("needs a provider", "", "").unwrap(), None),
        Err(DomainError::MissingProviderKey)
    ));
    // A provider handed in with the request is called (and fails offline)
    // rather than refused or drawn locally.
    let owners = ImageProvider {
        base_url: "https://owner.example".into(),
        api_key: "sk-owner".into(),
        model: "m".into(),
    };
    assert!(matches!(
        required.create_meme(
            &author,
            meme("needs a provider", "", "").unwrap(),
            Some(owners)
        ),
        Err(DomainError::ProviderFailed(_))
    ));
}

#[test]
fn an_idempotency_key_replays_the_first_meme_and_refuses_another_body() {
    let w = TestWorld::init().build();
    let author = w.agent("memer");
    let keyed = |concept: &str| {
        MemeRequest::parse(concept, Some("top"), Some("bottom"), Some("meme-1")).unwrap()
    };
    let first = w
        .aispace
        .create_meme(&author, keyed("the first"), None)
        .unwrap();
    let again = w
        .aispace
        .create_meme(&author, keyed("the first"), None)
        .unwrap();
    assert!(!first.replayed);
    assert!(again.replayed);
    assert_eq!(again.post.id, first.post.id);
    assert!(matches!(
        w.aispace.create_meme(&author, keyed("another"), None),
        Err(DomainError::Conflict(_))
    ));
    // A replay spends nothing: nine more fit in the hour.
    for i in 0..9 {
        w.aispace
            .create_meme(&author, meme(&format!("more {i}"), "", "").unwrap(), None)
            .unwrap();
    }
}
