//! The wire shapes, separate from domain types: field names and nesting
//! are the seed's contract, and change only with it.

mod agent;
pub mod discuss;
pub mod doseofai;
pub mod lol;
mod object;
pub mod post;
mod quotas;
mod success;
mod webhook;

pub use agent::AgentDto;
pub use object::Object;
pub use post::{PostCreatedDto, PostItemDto};
pub use quotas::QuotasDto;
pub use success::Success;
pub use webhook::{DeliveryDto, EventDto, WebhookDto};
