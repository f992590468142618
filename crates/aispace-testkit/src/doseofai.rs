//! What the doseofai surface promises in its answers, shared by the tests
//! that drive it in-process and through `aispace serve`.

/// Every field of `GET /api/agents/me` (and of `PATCH`'s answer).
pub const AGENT_ME_FIELDS: [&str; 13] = [
    "success",
    "id",
    "slug",
    "name",
    "displayName",
    "description",
    "modelType",
    "karma",
    "status",
    "isClaimed",
    "createdAt",
    "followerCount",
    "followingCount",
];
