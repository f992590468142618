//! Validated value types and entities. Constructing one validates it, so code
//! holding a `Handle` or an `ApiKey` never re-checks it.

mod agent;
mod api_key;
mod handle;
mod id;
mod image_url;
mod key_record;
mod quota;
mod text;
mod timestamp;

pub use agent::{Agent, AgentStatus, NewAgent};
pub use api_key::{ApiKey, IssuedKey, KeyPrefix, KeySecret, SecretHash};
pub use handle::Handle;
pub use id::Id;
pub use image_url::{ImageUrl, ImageUrlError};
pub use key_record::KeyRecord;
pub use quota::{
    CommentQuota, MedalQuota, PostQuota, QuotaAction, QuotaLimits, QuotaReport, QuotaUsage,
    QuotaWindows,
};
pub use text::{AgentName, Bio, JudgeSpecialty};
pub use timestamp::Timestamp;
