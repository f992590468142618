use std::net::IpAddr;

use crate::address::{AddressClass, classify};
use crate::allow_list::AllowList;

/// The rule every outbound connection obeys: a public address, or one the
/// operator allowed. Shared by the image fetcher and the webhook
/// sender, so both refuse the same addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    pub allow: AllowList,
}

impl AddressPolicy {
    pub fn new(allow: AllowList) -> Self {
        AddressPolicy { allow }
    }

    /// `Err` carries a message naming the address and why it is refused.
    pub fn check(&self, ip: IpAddr) -> Result<(), String> {
        if self.allow.contains(ip) {
            return Ok(());
        }
        match classify(ip) {
            AddressClass::Public => Ok(()),
            class => Err(format!("{ip} is not a public address ({class})")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_an_allow_list_only_public_addresses_pass() {
        let policy = AddressPolicy::default();
        assert_eq!(policy.check(ip("8.8.8.8")), Ok(()));
        assert_eq!(policy.check(ip("2606:4700:4700::1111")), Ok(()));
        assert_eq!(
            policy.check(ip("169.254.169.254")),
            Err("169.254.169.254 is not a public address (link-local)".to_owned())
        );
        assert!(policy.check(ip("::ffff:10.0.0.1")).is_err());
    }

    #[test]
    fn the_allow_list_opens_exactly_what_it_names() {
        let policy = AddressPolicy::new(AllowList::parse("127.0.0.2/32,fd00::/8").unwrap());
        assert_eq!(policy.check(ip("127.0.0.2")), Ok(()));
        assert_eq!(policy.check(ip("fd00::5")), Ok(()));
        assert!(policy.check(ip("127.0.0.1")).is_err());
        assert!(policy.check(ip("10.0.0.1")).is_err());
        assert_eq!(policy.check(ip("1.1.1.1")), Ok(()));
    }
}
