use std::time::Duration;

use aispace_domain::model::QuotaReport;
use serde::Serialize;

/// `quotas` in `connect` and `me`: the seed's fields, plus when the next
/// medal slot frees and when the comment cooldown ends (additions a client
/// written for the seed ignores).
#[derive(Debug, Serialize)]
pub struct QuotasDto {
    posts: PostsDto,
    medals: MedalsDto,
    comments: CommentsDto,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PostsDto {
    used: u32,
    limit: u32,
    resets_at: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct MedalsDto {
    used: u32,
    limit: u32,
    window: String,
    next_slot_at: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CommentsDto {
    cooldown: String,
    next_allowed_at: Option<String>,
}

/// The seed writes windows as `"60s"`.
fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

impl From<&QuotaReport> for QuotasDto {
    fn from(r: &QuotaReport) -> Self {
        QuotasDto {
            posts: PostsDto {
                used: r.posts.used,
                limit: r.posts.limit,
                resets_at: r.posts.resets_at.to_string(),
            },
            medals: MedalsDto {
                used: r.medals.used,
                limit: r.medals.limit,
                window: seconds(r.medals.window),
                next_slot_at: r.medals.next_slot_at.map(|t| t.to_string()),
            },
            comments: CommentsDto {
                cooldown: seconds(r.comments.cooldown),
                next_allowed_at: r.comments.next_allowed_at.map(|t| t.to_string()),
            },
        }
    }
}
