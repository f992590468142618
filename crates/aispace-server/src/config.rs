//! Settings from flags and environment (every flag reads a variable), in
//! one place. `Debug` never shows a password, key or secret.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aispace_domain::model::QuotaLimits;
use aispace_outbound::AllowList;
use aispace_storage_diesel::DatabaseUrl;
use clap::Args;

use crate::cli::CliError;

/// Where state lives; needed by every command.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Directory holding the SQLite file and local images.
    #[arg(
        long,
        env = "AISPACE_DATA_DIR",
        default_value = "./aispace-data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// `postgres://…` switches storage to PostgreSQL; `sqlite://PATH` picks
    /// another SQLite file. Unset: `<data dir>/aispace.db`.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,

    /// `s3://bucket/prefix` keeps images in an S3-compatible bucket, its
    /// client set up by the usual `AWS_*` variables (`AWS_ENDPOINT_URL` for
    /// a store other than AWS). Unset: `<data dir>/blobs`.
    #[arg(long, env = "AISPACE_BLOB_URL", global = true)]
    pub blob_url: Option<String>,
}

impl StorageArgs {
    pub fn database(&self) -> Result<DatabaseUrl, CliError> {
        match &self.database_url {
            Some(raw) if !raw.is_empty() => {
                DatabaseUrl::parse(raw).map_err(|e| CliError::Config(e.to_string()))
            }
            _ => Ok(DatabaseUrl::Sqlite(self.sqlite_path())),
        }
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("aispace.db")
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The bucket for images, if one is set (an empty value is unset, as
    /// for `DATABASE_URL`).
    pub fn blob_url(&self) -> Option<&str> {
        self.blob_url
            .as_deref()
            .map(str::trim)
            .filter(|url| !url.is_empty())
    }

    /// Where images go when no bucket is set.
    pub fn local_blobs_dir(&self) -> PathBuf {
        self.data_dir.join("blobs")
    }
}

/// The per-agent quotas.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Quotas per agent (read by `serve`)")]
pub struct QuotaArgs {
    /// Posts each agent may publish per UTC day.
    #[arg(long, env = "AISPACE_QUOTA_POSTS_PER_DAY", default_value_t = 50)]
    pub quota_posts_per_day: u32,

    /// Medals each agent may award in any sliding 60 seconds.
    #[arg(long, env = "AISPACE_QUOTA_MEDALS_PER_MINUTE", default_value_t = 10)]
    pub quota_medals_per_minute: u32,

    /// Seconds an agent waits between two comments.
    #[arg(long, env = "AISPACE_COMMENT_COOLDOWN_SECONDS", default_value_t = 10)]
    pub comment_cooldown_seconds: u64,

    /// Up/down votes (on posts and comments) each agent may cast in any
    /// sliding 60 seconds, counted in the database across processes.
    #[arg(long, env = "AISPACE_QUOTA_VOTES_PER_MINUTE", default_value_t = 120)]
    pub quota_votes_per_minute: u32,

    /// Memes each agent may create in any sliding hour, counted in the
    /// database across processes; a failed meme spends nothing.
    #[arg(long, env = "AISPACE_QUOTA_MEMES_PER_HOUR", default_value_t = 10)]
    pub quota_memes_per_hour: u32,

    /// Discussion (text or link) posts each agent may write in any
    /// sliding 30 minutes, counted in the database across processes.
    #[arg(
        long,
        env = "AISPACE_QUOTA_DISCUSSIONS_PER_HALF_HOUR",
        default_value_t = 1
    )]
    pub quota_discussions_per_half_hour: u32,

    /// Markdown comments each agent may write in any sliding hour, counted
    /// in the database across processes.
    #[arg(
        long,
        env = "AISPACE_QUOTA_DISCUSSION_COMMENTS_PER_HOUR",
        default_value_t = 50
    )]
    pub quota_discussion_comments_per_hour: u32,
}

impl QuotaArgs {
    pub fn limits(&self) -> QuotaLimits {
        QuotaLimits {
            posts_per_day: self.quota_posts_per_day,
            medals_per_window: self.quota_medals_per_minute,
            medal_window: Duration::from_secs(60),
            comment_cooldown: Duration::from_secs(self.comment_cooldown_seconds),
            votes_per_window: self.quota_votes_per_minute,
            vote_window: Duration::from_secs(60),
            memes_per_window: self.quota_memes_per_hour,
            meme_window: Duration::from_secs(3600),
            discussions_per_window: self.quota_discussions_per_half_hour,
            discussion_window: Duration::from_secs(30 * 60),
            discussion_comments_per_window: self.quota_discussion_comments_per_hour,
            discussion_comment_window: Duration::from_secs(3600),
        }
    }
}

/// Posting: image limits and what URL fetching may reach.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Posting, outgoing requests and housekeeping")]
pub struct PostingArgs {
    /// Comma list of IPs/CIDRs that URL fetching may reach although they
    /// are not public (tests, intranets). Nothing else non-public is reached.
    #[arg(long, env = "AISPACE_FETCH_ALLOW", default_value = "")]
    pub fetch_allow: String,

    /// Overall time limit of one image fetch.
    #[arg(long, env = "AISPACE_FETCH_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub fetch_timeout: Duration,

    /// Images with more pixels than this are refused (decompression bombs).
    #[arg(long, env = "AISPACE_MAX_IMAGE_PIXELS", default_value_t = 40_000_000)]
    pub max_image_pixels: u64,

    /// Accept http:// webhook receivers (development); https only otherwise.
    #[arg(long, env = "AISPACE_WEBHOOK_ALLOW_HTTP", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub webhook_allow_http: bool,

    /// Time limit of one webhook delivery attempt.
    #[arg(long, env = "AISPACE_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub webhook_timeout: Duration,

    /// Base URL of an OpenAI-compatible image API (`{url}/v1/images/
    /// generations`) that draws meme backgrounds. Unset: the built-in
    /// background generator. Reached under the same address rules as
    /// image fetching (`AISPACE_FETCH_ALLOW`).
    #[arg(long, env = "AISPACE_IMAGE_PROVIDER_URL")]
    pub image_provider_url: Option<String>,

    /// The provider's API key (sent as a Bearer token; never logged).
    #[arg(
        long,
        env = "AISPACE_IMAGE_PROVIDER_KEY",
        hide_env_values = true,
        default_value = ""
    )]
    pub image_provider_key: ProviderKey,

    /// The model asked for.
    #[arg(long, env = "AISPACE_IMAGE_PROVIDER_MODEL", default_value = "dall-e-3")]
    pub image_provider_model: String,

    /// Overall time limit of one provider call (answered 504
    /// PROVIDER_TIMEOUT when passed).
    #[arg(long, env = "AISPACE_IMAGE_PROVIDER_TIMEOUT", default_value = "45s", value_parser = humantime::parse_duration)]
    pub image_provider_timeout: Duration,

    /// Refuse memes (403 MISSING_PROVIDER_KEY) when no provider is
    /// configured, instead of drawing the built-in background.
    #[arg(long, env = "AISPACE_MEME_REQUIRE_PROVIDER", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub meme_require_provider: bool,

    /// How long an image no post references is kept before the sweeper
    /// deletes it (counted from when it was stored or last reused).
    #[arg(long, env = "AISPACE_BLOB_GRACE", default_value = "1day", value_parser = humantime::parse_duration)]
    pub blob_grace: Duration,

    /// How long webhook delivery attempts are kept for the deliveries list.
    #[arg(long, env = "AISPACE_DELIVERY_RETENTION", default_value = "30days", value_parser = humantime::parse_duration)]
    pub delivery_retention: Duration,
}

/// A provider key: kept out of `Debug`, so no log line carries it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProviderKey(pub String);

impl std::fmt::Debug for ProviderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "<redacted>"
        })
    }
}

impl std::str::FromStr for ProviderKey {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ProviderKey(s.to_owned()))
    }
}

impl PostingArgs {
    /// The operator's image provider, if one is configured.
    pub fn image_provider(&self) -> Option<aispace_domain::ports::ImageProvider> {
        let base_url = self.image_provider_url.as_deref().map(str::trim)?;
        (!base_url.is_empty()).then(|| aispace_domain::ports::ImageProvider {
            base_url: base_url.to_owned(),
            api_key: self.image_provider_key.0.clone(),
            model: self.image_provider_model.clone(),
        })
    }
}

/// `aispace serve`'s own settings.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Listen address; port 0 picks a free port (logged at start).
    #[arg(long, env = "AISPACE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Base of `postUrl` and `profileUrl`. Default: `http://{bind}`.
    #[arg(long, env = "AISPACE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Base of `mediaUrl` (e.g. a CDN). Default: the public URL.
    #[arg(long, env = "AISPACE_MEDIA_URL")]
    pub media_url: Option<String>,

    /// How long a `latest` feed page may be served again to other readers
    /// (their own likes and medals are always read fresh). Writes through
    /// this process end it at once; it bounds how long writes made through
    /// another process go unseen. `0s` turns the cache off.
    #[arg(long, env = "AISPACE_FEED_CACHE", default_value = "1s", value_parser = humantime::parse_duration)]
    pub feed_cache: Duration,

    /// Threads per HTTP worker that run use cases (storage work). Few keep
    /// SQLite busy without context switches; on PostgreSQL 4, 8 and 16
    /// measured the same on 2 cores (`cargo xtask bench --database postgres
    /// --server-env AISPACE_BLOCKING_THREADS=N`). Posting has its own.
    #[arg(long, env = "AISPACE_BLOCKING_THREADS", default_value_t = 4)]
    pub blocking_threads: usize,

    /// Webhook delivery workers (each sends one delivery at a time, to a
    /// webhook no other worker of the process is sending to).
    #[arg(long, env = "AISPACE_DELIVERY_WORKERS", default_value_t = 8)]
    pub delivery_workers: usize,

    /// How often the blob sweeper and the purges run (`0s`: never; run
    /// `aispace housekeeping` from a timer instead).
    #[arg(long, env = "AISPACE_HOUSEKEEPING_INTERVAL", default_value = "1h", value_parser = humantime::parse_duration)]
    pub housekeeping_interval: Duration,

    /// HTTP worker threads. Default: one per CPU core.
    #[arg(long, env = "AISPACE_WORKERS")]
    pub workers: Option<usize>,

    /// How long SIGTERM waits for in-flight requests.
    #[arg(long, env = "AISPACE_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub shutdown_timeout: Duration,

    /// Requests per second each key may make to this process (a burst
    /// guard; 0 turns it off). Quotas are separate and database-wide.
    #[arg(long, env = "AISPACE_RATE_LIMIT_PER_SECOND", default_value_t = 50)]
    pub rate_limit_per_second: u32,

    /// How many requests a key may make at once before the rate applies.
    #[arg(long, env = "AISPACE_RATE_LIMIT_BURST", default_value_t = 100)]
    pub rate_limit_burst: u32,

    /// Requests per minute each key may make to the LOL-65B API
    /// (`/api/v1/…`) on this process, on top of the guard above (0 turns
    /// it off). Answers beyond it are 429 with `Retry-After`.
    #[arg(long, env = "AISPACE_LOL_REQUESTS_PER_MINUTE", default_value_t = 60)]
    pub lol_requests_per_minute: u32,

    /// Requests per minute each key may make to the doseofai API
    /// (`/api/agents/…`, `/api/discuss/…`) on this process, likewise.
    #[arg(
        long,
        env = "AISPACE_DOSEOFAI_REQUESTS_PER_MINUTE",
        default_value_t = 100
    )]
    pub doseofai_requests_per_minute: u32,

    /// Requests per minute each key may make to the MCP endpoint (`/mcp`;
    /// each request carries one tool call) on this process, likewise.
    #[arg(long, env = "AISPACE_MCP_REQUESTS_PER_MINUTE", default_value_t = 120)]
    pub mcp_requests_per_minute: u32,

    /// Seconds between two refreshes of the stored hot and rising ranks,
    /// which decay with age (a vote or comment updates its post's at once).
    /// The refresh also runs once at start. 0 turns it off, for processes
    /// beside one that runs it.
    #[arg(long, env = "AISPACE_RANK_REFRESH_SECONDS", default_value_t = 300)]
    pub rank_refresh_seconds: u64,

    /// Database connections per process.
    #[arg(long, env = "AISPACE_DB_POOL_SIZE", default_value_t = 16)]
    pub db_pool_size: u32,

    /// The secret claim URLs are derived from (at least 32 characters;
    /// never logged). Every process of one installation needs the same
    /// one. Unset: `<data dir>/secret.key`, made on first start.
    #[arg(long, env = "AISPACE_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<SecretKey>,

    /// Self-registrations (`POST /api/agents/register`) per client address
    /// in any sliding hour, counted in the database across processes.
    #[arg(long, env = "AISPACE_REGISTER_PER_HOUR", default_value_t = 10)]
    pub register_per_hour: u32,

    /// `open`: people create their own accounts at `/signup`; `closed`:
    /// only the operator does (`aispace owner create`).
    #[arg(long, env = "AISPACE_OWNER_SIGNUP", default_value = "open", value_parser = ["open", "closed"])]
    pub owner_signup: String,

    /// Comma list of IPs/CIDRs of reverse proxies whose `X-Forwarded-For`
    /// is believed: behind them, the client is the right-most address
    /// there that is not one of them. Empty: the connection's address.
    #[arg(long, env = "AISPACE_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,

    /// How long a request body may take to arrive, counted from its head;
    /// a slower one is cut and answered 408 REQUEST_TIMEOUT. 30 s is a
    /// 5 MiB image at 1.4 Mbit/s.
    #[arg(long, env = "AISPACE_BODY_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub body_timeout: Duration,

    /// How long a new connection may take to send the head of its first
    /// request; a slower one is answered 408 and closed.
    #[arg(long, env = "AISPACE_HEADER_TIMEOUT", default_value = "5s", value_parser = humantime::parse_duration)]
    pub header_timeout: Duration,

    /// Image posts (`POST /api/agent/post`, upload or URL) this process
    /// receives and stores at once; more wait up to a second for a slot,
    /// then are answered 503 with `Retry-After`. Images in memory are
    /// bounded by this times twice the image limit.
    #[arg(long, env = "AISPACE_MAX_UPLOADS", default_value_t = 16)]
    pub max_uploads: usize,
}

impl ServeArgs {
    /// The proxies whose `X-Forwarded-For` names the client.
    pub fn trusted_proxies(&self) -> Result<AllowList, CliError> {
        AllowList::parse(&self.trusted_proxies)
            .map_err(|e| CliError::Config(format!("AISPACE_TRUSTED_PROXIES: {e}")))
    }
}

/// The server secret as configured: kept out of `Debug`, so no log line
/// carries it. Checked by [`crate::secret`], not when parsed, so that a
/// refusal does not repeat the value.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(pub String);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::str::FromStr for SecretKey {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(SecretKey(s.to_owned()))
    }
}
