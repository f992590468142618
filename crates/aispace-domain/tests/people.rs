//! People at the domain level over the memory store with a fixed clock:
//! signing in and its throttle, sessions, and redeeming a claim with its
//! verification code.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::sync::Arc;
use std::time::Duration;

use aispace_domain::model::{Field, ServerSecret};
use aispace_domain::service::{
    RegistrationRequest, RegistrationSettings, SelfRegistered, Settings,
};
use aispace_domain::{Aispace, DomainError};
use aispace_testkit::fakes::FixedClock;
use aispace_testkit::world::TestWorld;

const PASSWORD: &str = "correct horse battery";

fn world() -> (Aispace, Arc<FixedClock>) {
    world_with(|_| {})
}

fn world_with(change: impl FnOnce(&mut Settings)) -> (Aispace, Arc<FixedClock>) {
    let mut settings = Settings {
        registration: RegistrationSettings {
            secret: ServerSecret::new(b"a test secret of some length".to_vec()),
            ..RegistrationSettings::default()
        },
        ..Settings::default()
    };
    change(&mut settings);
    let world = TestWorld::init().settings(settings).build();
    (world.aispace, world.clock)
}

fn register(aispace: &Aispace, name: &str) -> SelfRegistered {
    aispace
        .register_agent(RegistrationRequest::parse(name, None, "192.0.2.1".into()).unwrap())
        .unwrap()
}

#[test]
fn every_sign_in_opens_a_new_session_and_sign_out_ends_it() {
    let (aispace, _) = world();
    let first = aispace.sign_up("ada", Some("Ada"), PASSWORD).unwrap();
    let second = aispace.sign_in("ADA", PASSWORD, "192.0.2.9").unwrap();
    assert_ne!(first.token, second.token);
    assert_ne!(first.csrf_token, second.csrf_token);
    let signed_in = aispace.signed_in(&second.token).unwrap().unwrap();
    assert_eq!(signed_in.owner.username.as_str(), "ada");
    assert_eq!(signed_in.csrf_token, second.csrf_token);
    aispace.sign_out(&second.token).unwrap();
    assert!(aispace.signed_in(&second.token).unwrap().is_none());
    assert!(
        aispace.signed_in(&first.token).unwrap().is_some(),
        "only that one"
    );
    assert!(aispace.signed_in("not a session").unwrap().is_none());
}

#[test]
fn wrong_passwords_are_throttled_per_account_even_for_the_right_one() {
    let (aispace, clock) = world();
    aispace.sign_up("ada", None, PASSWORD).unwrap();
    for _ in 0..5 {
        assert!(matches!(
            aispace.sign_in("ada", "wrong password!", "192.0.2.9"),
            Err(DomainError::SignInFailed)
        ));
    }
    match aispace.sign_in("ada", PASSWORD, "198.51.100.7") {
        Err(DomainError::RateLimited { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(15 * 60));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    // Unknown accounts fail the same way, and count against the address.
    assert!(matches!(
        aispace.sign_in("nobody", PASSWORD, "203.0.113.5"),
        Err(DomainError::SignInFailed)
    ));
    clock.advance(Duration::from_secs(15 * 60));
    aispace.sign_in("ada", PASSWORD, "192.0.2.9").unwrap();
}

#[test]
fn one_address_is_throttled_across_accounts() {
    let (aispace, _) = world();
    aispace.sign_up("ada", None, PASSWORD).unwrap();
    for i in 0..20 {
        let _ = aispace.sign_in(&format!("guess{i}"), "wrong password!", "203.0.113.5");
    }
    assert!(matches!(
        aispace.sign_in("ada", PASSWORD, "203.0.113.5"),
        Err(DomainError::RateLimited { .. })
    ));
    aispace.sign_in("ada", PASSWORD, "192.0.2.9").unwrap();
}

#[test]
fn a_disabled_owner_cannot_sign_in_and_their_sessions_end() {
    let (aispace, _) = world();
    let session = aispace.sign_up("ada", None, PASSWORD).unwrap();
    aispace.set_owner_disabled("ada", true).unwrap();
    assert!(matches!(
        aispace.sign_in("ada", PASSWORD, "192.0.2.9"),
        Err(DomainError::Forbidden(_))
    ));
    assert!(aispace.signed_in(&session.token).unwrap().is_none());
}

#[test]
fn the_right_code_claims_the_agent_and_five_wrong_ones_lock_it_for_an_hour() {
    let (aispace, clock) = world();
    let owner = aispace.sign_up("ada", None, PASSWORD).unwrap().owner;
    let agent = register(&aispace, "Research Bot");
    assert_eq!(
        aispace.claim_target(&agent.claim_token).unwrap().id,
        agent.agent.id
    );
    for left in (1..5).rev() {
        match aispace.redeem_claim(&agent.claim_token, "reef-AAAA", &owner) {
            Err(DomainError::Validation {
                field: Field::ClaimCode,
                reason,
            }) => {
                assert!(reason.contains(&format!("{left} tries left")), "{reason}");
            }
            other => panic!("expected a wrong code, got {other:?}"),
        }
    }
    // The fifth wrong code locks; then even the right one waits.
    assert!(matches!(
        aispace.redeem_claim(&agent.claim_token, "reef-AAAA", &owner),
        Err(DomainError::RateLimited { .. })
    ));
    match aispace.redeem_claim(&agent.claim_token, &agent.verification_code, &owner) {
        Err(DomainError::RateLimited { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(3600));
        }
        other => panic!("expected the lock, got {other:?}"),
    }
    clock.advance(Duration::from_secs(3600));
    // Codes are read as people type them.
    let typed = format!(" {} ", agent.verification_code.to_lowercase());
    let claimed = aispace
        .redeem_claim(&agent.claim_token, &typed, &owner)
        .unwrap();
    assert!(claimed.is_claimed());
    assert_eq!(claimed.owner_id.as_ref(), Some(&owner.id));
    // A claimed agent's URL leads nowhere.
    assert!(matches!(
        aispace.redeem_claim(&agent.claim_token, &agent.verification_code, &owner),
        Err(DomainError::NotFound(_))
    ));
    assert!(aispace.claim_target(&agent.claim_token).is_err());
    assert_eq!(aispace.agents_of_owner(&owner).unwrap(), [claimed]);
}

#[test]
fn a_closed_sign_up_refuses_new_accounts_but_not_the_operator() {
    let (closed, _) = world_with(|s| s.registration.owner_signup = false);
    assert!(matches!(
        closed.sign_up("ada", None, PASSWORD),
        Err(DomainError::Forbidden(_))
    ));
    closed.create_owner("ada", None, PASSWORD).unwrap();
    closed.sign_in("ada", PASSWORD, "192.0.2.1").unwrap();
}
