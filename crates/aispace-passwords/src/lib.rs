#![doc = include_str!("../README.md")]

use std::fmt;
use std::sync::Arc;

use aispace_domain::ports::{PasswordError, PasswordHasher};
use aispace_host::Gate;
use argon2::password_hash::PasswordHasher as _;
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordVerifier, Version};

/// Argon2id's cost: memory, passes over it, lanes.
///
/// Only new hashes use it; a stored hash is verified with the cost written
/// in it, so raising the cost never breaks existing hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    /// Memory per hash in KiB (Argon2's `m`). At least `8 × parallelism`.
    pub memory_kib: u32,
    /// Passes over the memory (Argon2's `t`). At least 1.
    pub iterations: u32,
    /// Lanes (Argon2's `p`). At least 1. Without argon2's `parallel`
    /// feature the lanes run one after another on the calling thread, so
    /// this changes the hash, not the wall time.
    pub parallelism: u32,
}

impl HashCost {
    /// The production cost: 46 MiB, 1 pass, 1 lane — OWASP's first
    /// recommended Argon2id configuration (m=47104, t=1, p=1).
    ///
    /// Measured on the 2-core machine, shared with other work (release
    /// build, one hash at a time, 10 hashes after one warm-up, six runs):
    /// mean 55–76 ms, min 48–62 ms, max 62–130 ms per hash; a verify costs
    /// the same. See the README for the runs.
    /// Measure again where it will serve with
    /// `cargo test --release -p aispace-passwords -- --ignored --nocapture`.
    pub const DEFAULT: Self = Self {
        memory_kib: 46 * 1024,
        iterations: 1,
        parallelism: 1,
    };

    /// Argon2's smallest cost (8 KiB, 1 pass, 1 lane). **For tests only**:
    /// it protects nothing.
    pub const FAST_FOR_TESTS: Self = Self {
        memory_kib: Params::MIN_M_COST,
        iterations: Params::MIN_T_COST,
        parallelism: Params::MIN_P_COST,
    };
}

impl Default for HashCost {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Argon2's parameters for a cost known when compiling: an invalid
/// constant cost fails the build instead of a call.
const fn valid_params(cost: HashCost) -> Params {
    match Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None) {
        Ok(params) => params,
        Err(_) => panic!("invalid constant Argon2 cost"),
    }
}

const DEFAULT_PARAMS: Params = valid_params(HashCost::DEFAULT);
const FAST_FOR_TESTS_PARAMS: Params = valid_params(HashCost::FAST_FOR_TESTS);

/// The domain's [`PasswordHasher`] over Argon2id (version 0x13): each hash
/// has a fresh 16-byte salt from the operating system and comes out as a
/// PHC string, `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
///
/// `verify` takes the algorithm, version, cost and salt from the stored
/// string, whatever this hasher's own cost, and compares the outputs in
/// constant time. A stored string it cannot parse is a mismatch.
///
/// At most as many hashes (or verifications) run at once as there are
/// cores: each holds its whole memory cost (46 MiB by default) while it
/// runs, so a burst of sign-ins would otherwise take the memory of all of
/// them at once. The others wait their turn.
#[derive(Clone)]
pub struct Argon2Hasher {
    argon2: Argon2<'static>,
    cost: HashCost,
    gate: Arc<Gate>,
}

impl Argon2Hasher {
    /// A hasher whose new hashes cost `cost`.
    ///
    /// # Errors
    /// When Argon2 refuses the cost: zero iterations or lanes, or less
    /// than 8 KiB of memory per lane.
    pub fn new(cost: HashCost) -> Result<Self, PasswordError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| PasswordError(format!("invalid Argon2 cost {cost:?}: {e}")))?;
        Ok(Self::from_parts(params, cost))
    }

    /// A hasher at [`HashCost::FAST_FOR_TESTS`]. **For tests only**: its
    /// hashes take microseconds to guess at.
    #[must_use]
    pub fn fast_for_tests() -> Self {
        Self::from_parts(FAST_FOR_TESTS_PARAMS, HashCost::FAST_FOR_TESTS)
    }

    /// The cost of new hashes.
    #[must_use]
    pub fn cost(&self) -> HashCost {
        self.cost
    }

    fn from_parts(params: Params, cost: HashCost) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            cost,
            gate: Arc::new(Gate::new(cores)),
        }
    }
}

impl Default for Argon2Hasher {
    /// A hasher at [`HashCost::DEFAULT`].
    fn default() -> Self {
        Self::from_parts(DEFAULT_PARAMS, HashCost::DEFAULT)
    }
}

impl fmt::Debug for Argon2Hasher {
    /// The cost only; the hasher holds no secret (no pepper).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Argon2Hasher")
            .field("algorithm", &"argon2id")
            .field("cost", &self.cost)
            .finish()
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let _pass = self.gate.enter();
        self.argon2
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| PasswordError(e.to_string()))
    }

    fn verify(&self, password: &str, stored: &str) -> bool {
        let _pass = self.gate.enter();
        PasswordHash::new(stored).is_ok_and(|hash| {
            self.argon2
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
    }
}
