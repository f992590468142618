//! What a person does for their own agents (the owner's page), at the
//! domain level over the memory store: agents created claimed with a
//! `lol65b` key, keys issued, rotated and revoked, suspension, and the
//! image provider that the person's agents' memes use first. Another
//! person's agent answers like an unknown one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aispace_domain::model::{
    AgentName, AgentStatus, ClaimState, Field, Handle, KeyFormat, NewAgent, Owner, OwnerProvider,
    ProviderInput,
};
use aispace_domain::ports::{
    GenerationError, ImageGenerator, ImageProvider, SecretSealer, Storage,
};
use aispace_domain::service::{MemeRequest, MemeSettings, Principal, Settings};
use aispace_domain::{Aispace, DomainError, Entity};
use aispace_testkit::world::TestWorld;

/// A provider that answers every call with a picture and remembers who
/// was asked.
#[derive(Debug, Default)]
struct RecordingGenerator(Mutex<Vec<ImageProvider>>);

impl ImageGenerator for RecordingGenerator {
    fn generate(
        &self,
        provider: &ImageProvider,
        _prompt: &str,
        _max_bytes: usize,
    ) -> Result<Vec<u8>, GenerationError> {
        self.0.lock().unwrap().push(provider.clone());
        Ok(aispace_testkit::images::png(512, 512, 3))
    }
}

struct World {
    aispace: Aispace,
    store: Arc<dyn Storage>,
    sealer: Arc<dyn SecretSealer>,
    generator: Arc<RecordingGenerator>,
}

fn world_with(settings: Settings) -> World {
    let generator = Arc::new(RecordingGenerator::default());
    let world = TestWorld::init()
        .settings(settings)
        .generator(generator.clone())
        .build();
    World {
        store: world.ports.store.clone(),
        sealer: world.ports.sealer.clone(),
        aispace: world.aispace,
        generator,
    }
}

fn world() -> World {
    world_with(Settings::default())
}

fn person(w: &World, username: &str) -> Owner {
    w.aispace
        .create_owner(username, None, "correct horse battery")
        .unwrap()
}

fn meme() -> MemeRequest {
    MemeRequest::parse(
        "a cat in a meeting",
        Some("when the call"),
        Some("could be an email"),
        None,
    )
    .unwrap()
}

fn not_found(result: Result<impl std::fmt::Debug, DomainError>) -> Entity {
    match result {
        Err(DomainError::NotFound(entity)) => entity,
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn an_agent_created_on_the_owner_page_is_claimed_theirs_and_keyed_lol65b() {
    let w = world();
    let ada = person(&w, "ada");
    let (agent, issued) = w
        .aispace
        .create_owned_agent(&ada, "Pixel_Bot", "Pixel Bot", "draws")
        .unwrap();
    assert_eq!(agent.handle.as_str(), "pixel_bot");
    assert_eq!(agent.claim, ClaimState::Claimed);
    assert_eq!(agent.owner_id, Some(ada.id.clone()));
    assert_eq!(issued.key.format(), Some(KeyFormat::Lol65b));
    let principal = w.aispace.authenticate(&issued.key.expose()).unwrap();
    assert_eq!(principal.agent.id, agent.id);

    let owned = w.aispace.owned_agents(&ada).unwrap();
    assert_eq!(owned.len(), 1);
    assert_eq!(owned[0].keys.len(), 1);
    assert_eq!(owned[0].keys[0].prefix, issued.record.prefix);

    assert!(matches!(
        w.aispace.create_owned_agent(&ada, "pixel_bot", "", ""),
        Err(DomainError::Conflict(_))
    ));
    assert!(matches!(
        w.aispace.create_owned_agent(&ada, "admin", "", ""),
        Err(DomainError::Validation {
            field: Field::Handle,
            ..
        })
    ));
}

#[test]
fn keys_are_issued_rotated_and_revoked_only_by_the_owner() {
    let w = world();
    let ada = person(&w, "ada");
    let eve = person(&w, "eve");
    let (_, first) = w.aispace.create_owned_agent(&ada, "bot", "", "").unwrap();

    let second = w.aispace.issue_owned_key(&ada, "bot").unwrap();
    assert_eq!(second.key.format(), Some(KeyFormat::Lol65b));
    assert!(w.aispace.authenticate(&first.key.expose()).is_ok());
    assert!(w.aispace.authenticate(&second.key.expose()).is_ok());

    assert_eq!(
        not_found(w.aispace.issue_owned_key(&eve, "bot")),
        Entity::Agent
    );
    assert_eq!(
        not_found(w.aispace.rotate_owned_keys(&eve, "bot", Duration::ZERO)),
        Entity::Agent
    );
    assert_eq!(
        not_found(
            w.aispace
                .revoke_owned_key(&eve, first.record.prefix.as_str())
        ),
        Entity::Key
    );
    assert!(w.aispace.authenticate(&first.key.expose()).is_ok());

    w.aispace
        .revoke_owned_key(&ada, first.record.prefix.as_str())
        .unwrap();
    assert!(w.aispace.authenticate(&first.key.expose()).is_err());

    let (third, retired_at) = w
        .aispace
        .rotate_owned_keys(&ada, "bot", Duration::ZERO)
        .unwrap();
    assert_eq!(retired_at, w.aispace.now());
    assert!(w.aispace.authenticate(&third.key.expose()).is_ok());
    assert!(w.aispace.authenticate(&second.key.expose()).is_err());
    assert!(matches!(
        w.aispace
            .rotate_owned_keys(&ada, "bot", Duration::from_secs(7)),
        Err(DomainError::Validation {
            field: Field::Grace,
            ..
        })
    ));
}

#[test]
fn an_owner_suspends_and_reactivates_their_agent_but_not_the_operators_suspension() {
    let w = world();
    let ada = person(&w, "ada");
    let eve = person(&w, "eve");
    let (agent, key) = w.aispace.create_owned_agent(&ada, "bot", "", "").unwrap();

    assert_eq!(
        not_found(w.aispace.set_owned_agent_suspended(&eve, "bot", true)),
        Entity::Agent
    );
    let paused = w
        .aispace
        .set_owned_agent_suspended(&ada, "bot", true)
        .unwrap();
    assert_eq!(paused.status, AgentStatus::SuspendedByOwner);
    assert!(w.aispace.authenticate(&key.key.expose()).is_err());
    w.aispace
        .set_owned_agent_suspended(&ada, "bot", false)
        .unwrap();
    assert!(w.aispace.authenticate(&key.key.expose()).is_ok());

    w.aispace.suspend_agent(&agent.handle).unwrap();
    assert!(matches!(
        w.aispace.set_owned_agent_suspended(&ada, "bot", false),
        Err(DomainError::Forbidden(_))
    ));
    assert!(w.aispace.authenticate(&key.key.expose()).is_err());
    w.aispace.reactivate_agent(&agent.handle).unwrap();
    assert!(w.aispace.authenticate(&key.key.expose()).is_ok());
}

#[test]
fn a_provider_key_is_stored_sealed_and_shown_only_by_its_last_four_characters() {
    let w = world();
    let ada = person(&w, "ada");
    let input =
        ProviderInput::parse("https://images.example/", "dall-e-3", "sk-ada-secret-9876").unwrap();
    let shown = w.aispace.set_owner_provider(&ada, &input).unwrap();
    assert_eq!(shown.key_hint, "9876");
    assert!(shown.opens);
    assert_eq!(w.aispace.owner_provider(&ada).unwrap(), Some(shown));

    let stored = w.store.owner_provider(&ada.id).unwrap().unwrap();
    let secret = b"sk-ada-secret-9876";
    assert!(!stored.sealed_key.windows(secret.len()).any(|w| w == secret));
    let opened = w
        .sealer
        .open(&stored.sealed_key, &OwnerProvider::seal_context(&ada.id))
        .unwrap();
    assert_eq!(opened, secret);

    w.aispace.delete_owner_provider(&ada).unwrap();
    assert_eq!(w.aispace.owner_provider(&ada).unwrap(), None);
}

#[test]
fn the_owners_provider_draws_their_agents_memes_before_the_operators() {
    let operators = ImageProvider {
        base_url: "https://operator.example".into(),
        api_key: "sk-operator".into(),
        model: "operator-model".into(),
    };
    let w = world_with(Settings {
        memes: MemeSettings {
            provider: Some(operators.clone()),
            ..MemeSettings::default()
        },
        ..Settings::default()
    });
    let ada = person(&w, "ada");
    let (owned, key) = w.aispace.create_owned_agent(&ada, "bot", "", "").unwrap();
    let owned = Principal {
        agent: owned,
        key_prefix: key.record.prefix,
    };
    let (stray, stray_key) = w
        .aispace
        .create_agent(NewAgent {
            handle: Handle::parse("stray").unwrap(),
            name: AgentName::parse("stray").unwrap(),
            bio: None,
        })
        .unwrap();
    let stray = Principal {
        agent: stray,
        key_prefix: stray_key.record.prefix,
    };

    // No provider of their own yet: the operator's.
    w.aispace.create_meme(&owned, meme(), None).unwrap();
    let input =
        ProviderInput::parse("https://ada.example", "ada-model", "sk-ada-secret-9876").unwrap();
    w.aispace.set_owner_provider(&ada, &input).unwrap();
    let created = w.aispace.create_meme(&owned, meme(), None).unwrap();
    w.aispace.create_meme(&stray, meme(), None).unwrap();

    let asked = w.generator.0.lock().unwrap().clone();
    let adas = input.into_provider();
    assert_eq!(asked, [operators.clone(), adas, operators]);
    let shown = format!("{:?}", created.post);
    assert!(shown.contains("ada.example/ada-model"), "{shown}");
}

#[test]
fn a_provider_key_sealed_under_another_secret_falls_back_to_the_operators_provider() {
    let w = world();
    let ada = person(&w, "ada");
    let (agent, key) = w.aispace.create_owned_agent(&ada, "bot", "", "").unwrap();
    // What another server secret sealed: it does not open here.
    let foreign = aispace_sealer::XChaChaSealer::with_key(&[9; 32]);
    w.store
        .set_owner_provider(&OwnerProvider {
            owner_id: ada.id.clone(),
            base_url: "https://ada.example".into(),
            model: "m".into(),
            sealed_key: foreign.seal(b"sk-ada-secret", &OwnerProvider::seal_context(&ada.id)),
            key_hint: "cret".into(),
            updated_at: w.aispace.now(),
        })
        .unwrap();
    assert!(!w.aispace.owner_provider(&ada).unwrap().unwrap().opens);
    let principal = Principal {
        agent,
        key_prefix: key.record.prefix,
    };
    w.aispace.create_meme(&principal, meme(), None).unwrap();
    assert!(w.generator.0.lock().unwrap().is_empty(), "built-in drawing");
}
