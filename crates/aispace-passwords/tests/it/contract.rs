//! The port's contract, at the test cost unless a test says otherwise.

use aispace_domain::ports::PasswordHasher;
use aispace_passwords::{Argon2Hasher, HashCost};

const PASSWORD: &str = "correct horse battery staple";

fn hasher() -> Argon2Hasher {
    Argon2Hasher::fast_for_tests()
}

#[test]
fn a_hash_verifies_its_password() {
    let hasher = hasher();
    let stored = hasher.hash(PASSWORD).unwrap();
    assert!(hasher.verify(PASSWORD, &stored));
}

#[test]
fn a_wrong_password_does_not_verify() {
    let hasher = hasher();
    let stored = hasher.hash(PASSWORD).unwrap();
    assert!(!hasher.verify("hunter2", &stored));
    assert!(!hasher.verify("", &stored));
}

#[test]
fn a_one_character_difference_does_not_verify() {
    let hasher = hasher();
    let stored = hasher.hash(PASSWORD).unwrap();
    for other in [
        "correct horse battery staplE",
        "Correct horse battery staple",
        "correct horse battery stapl",
        "correct horse battery staple ",
        "correct horse-battery staple",
    ] {
        assert!(!hasher.verify(other, &stored), "{other:?} verified");
    }
}

#[test]
fn each_hash_has_its_own_salt_and_both_verify() {
    let hasher = hasher();
    let first = hasher.hash(PASSWORD).unwrap();
    let second = hasher.hash(PASSWORD).unwrap();
    assert_ne!(first, second);
    let salt = |phc: &str| phc.split('$').nth(4).unwrap().to_owned();
    assert_ne!(salt(&first), salt(&second));
    assert!(hasher.verify(PASSWORD, &first));
    assert!(hasher.verify(PASSWORD, &second));
}

#[test]
fn the_output_is_an_argon2id_phc_string_with_its_cost() {
    let cost = HashCost {
        memory_kib: 64,
        iterations: 3,
        parallelism: 2,
    };
    let stored = Argon2Hasher::new(cost).unwrap().hash(PASSWORD).unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=64,t=3,p=2$"),
        "{stored}"
    );
    // `$argon2id$v=19$m=…$salt$hash`: a 16-byte salt and a 32-byte output,
    // in unpadded base64.
    let parts: Vec<&str> = stored.split('$').collect();
    assert_eq!(parts.len(), 6, "{stored}");
    assert_eq!(parts[4].len(), 22, "{stored}");
    assert_eq!(parts[5].len(), 43, "{stored}");

    let default = Argon2Hasher::fast_for_tests().hash(PASSWORD).unwrap();
    assert!(
        default.starts_with("$argon2id$v=19$m=8,t=1,p=1$"),
        "{default}"
    );
}

#[test]
fn a_stored_string_that_does_not_parse_is_a_mismatch() {
    let hasher = hasher();
    let stored = hasher.hash(PASSWORD).unwrap();
    let truncated = &stored[..stored.len() - 10];
    let no_output = stored.rsplit_once('$').unwrap().0;
    for bad in [
        "",
        "$",
        PASSWORD,
        "not a hash",
        "$argon2id$",
        "$argon2id$v=19$m=8,t=1,p=1$",
        "$argon2id$v=19$m=abc,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$argon2id$v=19$m=8,t=0,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$bcrypt$v=19$m=8,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        truncated,
        no_output,
    ] {
        assert!(!hasher.verify(PASSWORD, bad), "{bad:?} verified");
    }
}

#[test]
fn a_hash_made_at_another_cost_verifies() {
    let cheap = HashCost {
        memory_kib: 16,
        iterations: 2,
        parallelism: 1,
    };
    let other = HashCost {
        memory_kib: 256,
        iterations: 1,
        parallelism: 2,
    };
    let old = Argon2Hasher::new(cheap).unwrap().hash(PASSWORD).unwrap();
    let new = Argon2Hasher::new(other).unwrap();
    assert!(new.verify(PASSWORD, &old));
    assert!(!new.verify("wrong", &old));
    assert!(Argon2Hasher::default().verify(PASSWORD, &old));
}

/// A hash from the Argon2 reference implementation (password "password",
/// salt "somesalt", 64 MiB, t=2, p=1), so hashes made elsewhere verify too.
#[test]
fn a_reference_implementation_hash_verifies() {
    let stored =
        "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
    let hasher = hasher();
    assert!(hasher.verify("password", stored));
    assert!(!hasher.verify("Password", stored));
}

#[test]
fn unicode_passwords_round_trip() {
    let hasher = hasher();
    let stored = hasher.hash("pässwörd 🔑").unwrap();
    assert!(hasher.verify("pässwörd 🔑", &stored));
    // The same letters, decomposed: other bytes, another password.
    assert!(!hasher.verify("pa\u{308}sswo\u{308}rd 🔑", &stored));
}

#[test]
fn an_invalid_cost_is_refused() {
    for cost in [
        HashCost {
            memory_kib: 1024,
            iterations: 0,
            parallelism: 1,
        },
        HashCost {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 0,
        },
        HashCost {
            memory_kib: 4,
            iterations: 1,
            parallelism: 1,
        },
    ] {
        assert!(Argon2Hasher::new(cost).is_err(), "{cost:?} accepted");
    }
}

#[test]
fn the_default_cost_is_at_least_owasps_minimum() {
    let cost = Argon2Hasher::default().cost();
    assert_eq!(cost, HashCost::default());
    // OWASP: m=19 MiB with t=2, or m=46 MiB with t=1 (p=1).
    assert!(
        (cost.memory_kib >= 19 * 1024 && cost.iterations >= 2)
            || (cost.memory_kib >= 46 * 1024 && cost.iterations >= 1),
        "{cost:?}"
    );
    assert!(cost.memory_kib <= 64 * 1024, "{cost:?}");
}

#[test]
fn debug_shows_the_cost_only() {
    let shown = format!("{:?}", Argon2Hasher::fast_for_tests());
    assert_eq!(
        shown,
        "Argon2Hasher { algorithm: \"argon2id\", cost: HashCost { memory_kib: 8, iterations: 1, parallelism: 1 } }"
    );
}

#[test]
fn the_hasher_serves_as_the_port() {
    let port: &dyn PasswordHasher = &Argon2Hasher::fast_for_tests();
    let stored = port.hash(PASSWORD).unwrap();
    assert!(port.verify(PASSWORD, &stored));
}
