//! The settings every property test runs under.

use proptest::test_runner::Config;

/// `cases` generated inputs, and no failure files: a checkout is fresh in
/// CI, so a failure is reported with its shrunk input instead.
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}
