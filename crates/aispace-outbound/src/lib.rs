#![doc = include_str!("../README.md")]

mod address;
mod allow_list;
mod cidr;
mod client;
mod fetcher;
mod host_name;
mod lookup;
mod policy;
mod resolver;
mod target;
mod webhook_sender;

pub use address::{AddressClass, classify, is_public, names_a_public_host};
pub use allow_list::{ALLOW_ENV, AllowList};
pub use cidr::Cidr;
pub use client::{CheckedClient, JsonPost, PostAnswer, PostError};
pub use fetcher::{
    DEFAULT_MAX_REDIRECTS, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT, FetchConfig, UreqFetcher,
};
pub use lookup::{NameLookup, SystemLookup};
pub use policy::AddressPolicy;
pub use webhook_sender::{
    DEFAULT_WEBHOOK_TIMEOUT, DEFAULT_WEBHOOK_USER_AGENT, MAX_RESPONSE_BODY_BYTES,
    UreqWebhookSender, WebhookSenderConfig,
};
