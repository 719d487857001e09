//! The async HTTP client: one method per Konnect operation the console uses.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{problem_from_body, ApiError, KonnectError};
use crate::models::*;
use crate::rate_limit::{AdaptiveLimiter, Permit};

/// Konnect caps `page[size]` for control planes at 100; asking for more is refused.
const CONTROL_PLANE_PAGE_SIZE: i64 = 100;
/// Entities per page: the most Konnect's core-entities lists return at once.
const ENTITY_PAGE_SIZE: u32 = 1000;

/// Filters for `GET /v2/control-planes`, named as the query parameters are.
#[derive(Debug, Clone, Default)]
pub struct ControlPlaneQuery {
    pub page_size: Option<i64>,
    pub page_number: Option<i64>,
    pub name_eq: Option<String>,
    pub name_contains: Option<String>,
    pub cluster_type_eq: Option<String>,
    /// Konnect's label filter, e.g. `env:dev,team` (key:value pairs, or bare keys that must exist).
    pub labels: Option<String>,
}

impl ControlPlaneQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(v) = self.page_size {
            q.push(("page[size]", v.to_string()));
        }
        if let Some(v) = self.page_number {
            q.push(("page[number]", v.to_string()));
        }
        if let Some(v) = &self.name_eq {
            q.push(("filter[name][eq]", v.clone()));
        }
        if let Some(v) = &self.name_contains {
            q.push(("filter[name][contains]", v.clone()));
        }
        if let Some(v) = &self.cluster_type_eq {
            q.push(("filter[cluster_type][eq]", v.clone()));
        }
        if let Some(v) = &self.labels {
            q.push(("labels", v.clone()));
        }
        q
    }
}

/// When and how often a request is tried again.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// Backoff before the n-th retry is random in [0, min(max_delay, base_delay × 2ⁿ)]
    /// ("full jitter").
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for: the 429 is returned instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, retry: u32) -> Duration {
        let cap = self.base_delay.saturating_mul(1u32 << retry.min(16)).min(self.max_delay);
        cap.mul_f64(fastrand::f64())
    }
}

/// How long a 429's headers ask to wait (`retry-after-ms`, else `Retry-After`).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    crate::rate_limit::retry_after(
        text(crate::rate_limit::RETRY_AFTER_MS),
        text(reqwest::header::RETRY_AFTER.as_str()),
        std::time::SystemTime::now(),
    )
}

/// Which of Konnect's hosts serves a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `https://{region}.api.konghq.com/v2`: control planes, their configuration, nodes and
    /// analytics, kept in the organization's region.
    Regional,
    /// `https://global.api.konghq.com/v3`: identity (users, teams, system accounts, roles), one
    /// for every region.
    Global,
}

impl Api {
    /// The host a client path (`/v2/…`, `/v3/…`) goes to. The console's only `/v3` API is
    /// identity, and Konnect serves identity on the global host alone: a regional host answers
    /// it 404. The contract tests hold this rule against every operation of the specs' `servers`.
    pub fn of(path: &str) -> Api {
        if path.starts_with("/v3/") {
            Api::Global
        } else {
            Api::Regional
        }
    }
}

/// The base URLs a client sends its calls to, one per [`Api`]: Konnect's regional and global
/// hosts, or one address for both (the local control plane, a proxy in front of Konnect).
/// A base has no version path; the client's paths start with `/v2` or `/v3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiHosts {
    pub regional: String,
    pub global: String,
}

impl ApiHosts {
    /// Real Konnect for an organization in `region`.
    pub fn konnect(region: crate::Region) -> ApiHosts {
        ApiHosts { regional: region.base_url(), global: crate::GLOBAL_BASE_URL.to_string() }
    }

    /// One address serving every API, as the local control plane does.
    pub fn single(base_url: &str) -> ApiHosts {
        ApiHosts { regional: base_url.to_string(), global: base_url.to_string() }
    }

    pub fn base(&self, api: Api) -> &str {
        match api {
            Api::Regional => &self.regional,
            Api::Global => &self.global,
        }
    }

    /// The full URL of a client path, on the host its API lives on.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base(Api::of(path)).trim_end_matches('/'), path)
    }

    /// Both bases parsed, so that a bad one fails at construction rather than at the first call.
    fn checked(self) -> Result<ApiHosts, KonnectError> {
        for base in [&self.regional, &self.global] {
            url::Url::parse(base).map_err(|_| KonnectError::BaseUrl(base.clone()))?;
        }
        Ok(self)
    }
}

/// A client bound to one API destination (a Konnect region with the global host beside it, or
/// the local control plane) and one token.
///
/// The token is held only in memory; it never appears in `Debug` output or logs.
#[derive(Clone)]
pub struct KonnectClient {
    http: reqwest::Client,
    hosts: ApiHosts,
    token: String,
    retry: RetryPolicy,
    timeouts: Timeouts,
    /// The adaptive limit this client's requests share with those of other clients given the same
    /// limiter (one sync, one import); none: requests go out at once and each waits out its own
    /// 429.
    limiter: Option<AdaptiveLimiter>,
    /// Whether the API answered lately, shared with every clone of this client.
    reach: crate::reach::Reachability,
}

/// How long one try of a call may take, by kind of call. A read that times out is tried again
/// (it is idempotent); a write that times out is not, since it may have been applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timeouts {
    /// Lists and gets: small pages, answered at once when the API is well.
    pub read: Duration,
    /// Creates, updates and deletes.
    pub write: Duration,
    /// Analytics queries (`/v2/metrics`), which aggregate over up to 30 days.
    pub analytics: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            read: Duration::from_secs(15),
            write: Duration::from_secs(30),
            analytics: Duration::from_secs(60),
        }
    }
}

/// `POST /v2/metrics` only reads: it is retried like a GET.
const ANALYTICS_PATH: &str = "/v2/metrics";

impl std::fmt::Debug for KonnectClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KonnectClient")
            .field("regional", &self.hosts.regional)
            .field("global", &self.hosts.global)
            .finish_non_exhaustive()
    }
}

impl KonnectClient {
    /// A system-account token (`spat_`), whose owner is read at `/v3/system-accounts/{id}`, not
    /// `/v3/users/{id}`.
    pub fn is_system_account_token(&self) -> bool {
        self.token.starts_with("spat_")
    }

    /// A client sending every call to one address (the local control plane, a proxy).
    pub fn new(base_url: &str, token: impl Into<String>) -> Result<Self, KonnectError> {
        Self::with_hosts(ApiHosts::single(base_url), token)
    }

    /// A client for real Konnect: each call to the regional or the global host, as its API's
    /// specification declares.
    pub fn for_region(
        region: crate::Region,
        token: impl Into<String>,
    ) -> Result<Self, KonnectError> {
        Self::with_hosts(ApiHosts::konnect(region), token)
    }

    pub fn with_hosts(hosts: ApiHosts, token: impl Into<String>) -> Result<Self, KonnectError> {
        let hosts = hosts.checked()?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("runtime-manager/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| KonnectError::BaseUrl(e.to_string()))?;
        Ok(KonnectClient {
            http,
            hosts,
            token: token.into(),
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            limiter: None,
            reach: Default::default(),
        })
    }

    /// A client with no token (it could not be read): every call fails at once, as out of reach
    /// for want of a token, without going to the network.
    pub fn without_token(hosts: ApiHosts) -> Result<Self, KonnectError> {
        let client = Self::with_hosts(hosts, String::new())?;
        client.reach.failed(crate::reach::Cause::NoToken, "no token".into());
        Ok(client)
    }

    /// Whether the API answered this client's (and its clones') last try.
    pub fn reachability(&self) -> &crate::reach::Reachability {
        &self.reach
    }

    /// One light call, tried once: does the API answer (and accept the token) now?
    pub async fn probe(&self) -> Result<(), KonnectError> {
        let once = self.clone().with_retry(RetryPolicy { attempts: 1, ..self.retry });
        let query = ControlPlaneQuery { page_size: Some(1), ..Default::default() };
        once.list_control_planes(&query).await.map(|_| ())
    }

    /// The same client with other per-call timeouts (tests shorten them).
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The same client with another retry policy (tests shorten the delays).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The same client (one connection pool) with its requests under `limiter`: at most its limit
    /// in flight, all held back while a 429's wait runs, and a 429 retried after it as often as
    /// the limiter's patience allows.
    pub fn with_limiter(&self, limiter: AdaptiveLimiter) -> Self {
        KonnectClient { limiter: Some(limiter), ..self.clone() }
    }

    pub fn limiter(&self) -> Option<&AdaptiveLimiter> {
        self.limiter.as_ref()
    }

    /// The regional base: control planes, configuration, nodes, analytics.
    pub fn base_url(&self) -> &str {
        &self.hosts.regional
    }

    pub fn hosts(&self) -> &ApiHosts {
        &self.hosts
    }

    fn url(&self, path: &str) -> String {
        self.hosts.url(path)
    }

    /// Sends a request, retrying as the policy says: transport errors and 5xx for idempotent
    /// methods (GET, PUT, DELETE) with jittered backoff; 429 for any method after `Retry-After`
    /// (the server did not process it). A POST is never repeated after a 5xx or a lost answer.
    /// Under a limiter each try takes a slot first, and a 429 is paced by the limiter (every
    /// request of it waits) instead of counting as a failed try.
    async fn send<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<(StatusCode, String), KonnectError> {
        let url = self.url(path);
        if self.token.is_empty() {
            return Err(KonnectError::Transport {
                url,
                message: "no token".into(),
                cause: crate::reach::Cause::NoToken,
            });
        }
        let payload =
            match body {
                Some(b) => Some(serde_json::to_vec(b).map_err(|e| KonnectError::Decode {
                    url: url.clone(),
                    message: e.to_string(),
                })?),
                None => None,
            };
        let analytics = path == ANALYTICS_PATH;
        let idempotent = analytics
            || matches!(
                method,
                Method::GET | Method::PUT | Method::DELETE | Method::HEAD | Method::OPTIONS
            );
        let timeout = if analytics {
            self.timeouts.analytics
        } else if matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
            self.timeouts.read
        } else {
            self.timeouts.write
        };
        let mut attempt = 0;
        let mut rate_limited = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.retry.attempts;
            let permit = match &self.limiter {
                Some(limiter) => Some(limiter.acquire().await),
                None => None,
            };
            let mut req = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(&self.token)
                .query(query)
                .timeout(timeout);
            if let Some(p) = &payload {
                req = req.header(reqwest::header::CONTENT_TYPE, "application/json").body(p.clone());
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    drop(permit);
                    let cause = crate::reach::cause_of(&e);
                    self.reach.failed(cause, format!("{method} {url}: {}", transport_message(&e)));
                    if idempotent && !last {
                        tracing::debug!(%url, attempt, "transport error, retrying: {e}");
                        tokio::time::sleep(self.retry.backoff(attempt)).await;
                        continue;
                    }
                    return Err(KonnectError::Transport {
                        url: url.clone(),
                        message: transport_message(&e),
                        cause,
                    });
                }
            };
            let status = resp.status();
            self.note_answer(status, &resp, &url, last);
            if status == StatusCode::TOO_MANY_REQUESTS {
                rate_limited += 1;
                let asked = retry_after(resp.headers());
                match permit {
                    Some(permit) => {
                        if self.pace_after_429(permit, asked, rate_limited) {
                            // Paced by the limiter, not a failed try: the request was not
                            // processed.
                            attempt -= 1;
                            continue;
                        }
                        return Err(api_error(&url, status, resp).await);
                    }
                    None if !last => {
                        let wait = asked.unwrap_or_else(|| self.retry.backoff(attempt));
                        if wait <= self.retry.max_retry_after {
                            tracing::debug!(%url, attempt, ?wait, "rate limited, waiting as asked");
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                    }
                    None => {}
                }
            }
            if status.is_server_error() && idempotent && !last {
                drop(permit);
                tracing::debug!(%url, attempt, %status, "server error, retrying");
                tokio::time::sleep(self.retry.backoff(attempt)).await;
                continue;
            }
            if !status.is_success() {
                return Err(api_error(&url, status, resp).await);
            }
            let text = resp.text().await.map_err(|e| KonnectError::Transport {
                url: url.clone(),
                message: transport_message(&e),
                cause: crate::reach::cause_of(&e),
            })?;
            if let Some(permit) = permit {
                permit.succeeded();
            }
            return Ok((status, text));
        }
    }

    /// What an answer says of reachability: a refused token or a 429 that will not be waited out
    /// keeps the API out of reach (nothing can be done with it); any other answer means it is
    /// back.
    fn note_answer(&self, status: StatusCode, resp: &reqwest::Response, url: &str, last: bool) {
        if status == StatusCode::UNAUTHORIZED {
            self.reach.failed(crate::reach::Cause::Unauthorized, format!("401 from {url}"));
        } else if status == StatusCode::TOO_MANY_REQUESTS {
            let asked = retry_after(resp.headers());
            if last || asked.is_some_and(|w| w > self.retry.max_retry_after) {
                let wait_secs = asked.map_or(0, |w| w.as_secs_f64().ceil() as u64);
                let cause = crate::reach::Cause::RateLimited { wait_secs };
                self.reach.failed(cause, format!("429 from {url}"));
            }
        } else {
            self.reach.answered();
        }
    }

    /// Hands a request's 429 to its limiter, which halves the limit and holds every request back
    /// for the wait asked (or a default one). True when the request is to be sent again after it;
    /// false when the wait is longer than the policy accepts or the request has met as many 429s
    /// as the limiter's patience allows.
    fn pace_after_429(&self, permit: Permit, asked: Option<Duration>, rate_limited: u32) -> bool {
        let wait = asked.unwrap_or_else(|| crate::rate_limit::default_wait(rate_limited));
        let patience = self.limiter.as_ref().map_or(1, AdaptiveLimiter::patience);
        if wait <= self.retry.max_retry_after && rate_limited < patience {
            tracing::debug!(rate_limited, ?wait, "rate limited, every request waits");
            permit.rate_limited(wait);
            return true;
        }
        permit.rate_limited(Duration::ZERO);
        false
    }

    async fn json<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<T, KonnectError> {
        let (_, text) = self.send(method, path, query, body).await?;
        serde_json::from_str(&text)
            .map_err(|e| KonnectError::Decode { url: self.url(path), message: e.to_string() })
    }

    /// `GET /v2/control-planes`: one page.
    pub async fn list_control_planes(
        &self,
        query: &ControlPlaneQuery,
    ) -> Result<ListControlPlanesResponse, KonnectError> {
        self.json::<_, ()>(Method::GET, "/v2/control-planes", &query.pairs(), None).await
    }

    /// Every control plane of the organization, following page numbers until a short page.
    pub async fn list_all_control_planes(&self) -> Result<Vec<ControlPlane>, KonnectError> {
        let mut all = Vec::new();
        let mut number = 1;
        loop {
            let q = ControlPlaneQuery {
                page_size: Some(CONTROL_PLANE_PAGE_SIZE),
                page_number: Some(number),
                ..Default::default()
            };
            let page = self.list_control_planes(&q).await?;
            let got = page.data.len() as i64;
            all.extend(page.data);
            if got < CONTROL_PLANE_PAGE_SIZE || got == 0 {
                return Ok(all);
            }
            number += 1;
        }
    }

    /// `POST /v2/control-planes` → 201 with the new group.
    pub async fn create_control_plane(
        &self,
        req: &CreateControlPlaneRequest,
    ) -> Result<ControlPlane, KonnectError> {
        self.json(Method::POST, "/v2/control-planes", &[], Some(req)).await
    }

    pub async fn get_control_plane(&self, id: &str) -> Result<ControlPlane, KonnectError> {
        self.json::<_, ()>(Method::GET, &format!("/v2/control-planes/{id}"), &[], None).await
    }

    pub async fn update_control_plane(
        &self,
        id: &str,
        req: &UpdateControlPlaneRequest,
    ) -> Result<ControlPlane, KonnectError> {
        self.json(Method::PATCH, &format!("/v2/control-planes/{id}"), &[], Some(req)).await
    }

    /// `DELETE /v2/control-planes/{id}` → 204.
    pub async fn delete_control_plane(&self, id: &str) -> Result<(), KonnectError> {
        self.send::<()>(Method::DELETE, &format!("/v2/control-planes/{id}"), &[], None)
            .await
            .map(|_| ())
    }

    /// `GET /v3/users/me`: the token's owner.
    pub async fn current_user(&self) -> Result<CurrentUser, KonnectError> {
        self.json::<_, ()>(Method::GET, "/v3/users/me", &[], None).await
    }

    /// Every team of a user (`/v3/users/{id}/teams`) or system account
    /// (`/v3/system-accounts/{id}/teams`).
    pub async fn teams_of(&self, owner: RoleOwner<'_>) -> Result<Vec<Team>, KonnectError> {
        self.all_v3_pages(&format!("{}/teams", owner.path())).await
    }

    /// Every role assigned to a user, system account or team (`…/assigned-roles`: one answer,
    /// not paged).
    pub async fn assigned_roles(
        &self,
        owner: RoleOwner<'_>,
    ) -> Result<Vec<AssignedRole>, KonnectError> {
        #[derive(serde::Deserialize)]
        struct Roles {
            data: Vec<AssignedRole>,
        }
        Ok(self
            .json::<Roles, ()>(Method::GET, &format!("{}/assigned-roles", owner.path()), &[], None)
            .await?
            .data)
    }

    /// Page-number paging of `/v3` lists (`page[number]`, `page[size]`, `meta.page.total`).
    async fn all_v3_pages<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, KonnectError> {
        let mut all = Vec::new();
        for number in 1.. {
            let q = [("page[size]", "100".to_string()), ("page[number]", number.to_string())];
            let page: V3Page<T> = self.json::<_, ()>(Method::GET, path, &q, None).await?;
            let got = page.data.len();
            all.extend(page.data);
            if got == 0 || all.len() as i64 >= page.meta.page.total {
                break;
            }
        }
        Ok(all)
    }

    /// Every data plane node of a group, following the `page[after]` cursor.
    pub async fn list_all_nodes(&self, control_plane_id: &str) -> Result<Vec<Node>, KonnectError> {
        let path = format!("/v2/control-planes/{control_plane_id}/nodes");
        self.follow_pages(&path, ("page[size]", "100"), "page[after]", |p: ListNodesResponse| {
            (p.items, p.page.next.as_deref().and_then(cursor_from_next))
        })
        .await
    }

    /// Fetches page after page of `path` until no next cursor comes back (or the same one again):
    /// `split` takes a page apart into its items and the next cursor. Serves both cursor styles,
    /// `page[after]` (nodes) and `offset` (core entities).
    async fn follow_pages<P: DeserializeOwned, T>(
        &self,
        path: &str,
        size: (&'static str, &str),
        cursor_param: &'static str,
        split: impl Fn(P) -> (Vec<T>, Option<String>),
    ) -> Result<Vec<T>, KonnectError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut q = vec![(size.0, size.1.to_string())];
            if let Some(c) = &cursor {
                q.push((cursor_param, c.clone()));
            }
            let page: P = self.json::<_, ()>(Method::GET, path, &q, None).await?;
            let (items, next) = split(page);
            all.extend(items);
            match next.filter(|n| !n.is_empty()) {
                Some(n) if Some(&n) != cursor.as_ref() => cursor = Some(n),
                _ => return Ok(all),
            }
        }
    }
}

/// Whose teams or roles to list.
#[derive(Debug, Clone, Copy)]
pub enum RoleOwner<'a> {
    User(&'a str),
    SystemAccount(&'a str),
    Team(&'a str),
}

impl RoleOwner<'_> {
    fn path(&self) -> String {
        match self {
            RoleOwner::User(id) => format!("/v3/users/{id}"),
            RoleOwner::SystemAccount(id) => format!("/v3/system-accounts/{id}"),
            RoleOwner::Team(id) => format!("/v3/teams/{id}"),
        }
    }
}

/// An entity as the JSON text the API sent, with its id read out.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEntity {
    pub id: String,
    pub json: String,
}

impl KonnectClient {
    /// `GET /v2/control-planes/{id}/expected-config-hash`: the hash in-sync nodes report.
    pub async fn expected_config_hash(
        &self,
        control_plane_id: &str,
    ) -> Result<ExpectedConfigHash, KonnectError> {
        self.json::<_, ()>(
            Method::GET,
            &format!("/v2/control-planes/{control_plane_id}/expected-config-hash"),
            &[],
            None,
        )
        .await
    }

    /// Pins a data plane certificate (PEM) to a group.
    pub async fn pin_dp_certificate(
        &self,
        control_plane_id: &str,
        cert_pem: &str,
        title: &str,
    ) -> Result<DataPlaneCertificate, KonnectError> {
        #[derive(serde::Deserialize)]
        struct Item {
            item: DataPlaneCertificate,
        }
        let body = serde_json::json!({ "cert": cert_pem, "title": title });
        let item: Item = self
            .json(
                Method::POST,
                &format!("/v2/control-planes/{control_plane_id}/dp-client-certificates"),
                &[],
                Some(&body),
            )
            .await?;
        Ok(item.item)
    }

    /// The certificates pinned to a group for its data planes (Konnect lists them in one page).
    pub async fn list_dp_certificates(
        &self,
        control_plane_id: &str,
    ) -> Result<Vec<DataPlaneCertificate>, KonnectError> {
        #[derive(serde::Deserialize)]
        struct Items {
            items: Vec<DataPlaneCertificate>,
        }
        let page: Items = self
            .json::<_, ()>(
                Method::GET,
                &format!("/v2/control-planes/{control_plane_id}/dp-client-certificates"),
                &[],
                None,
            )
            .await?;
        Ok(page.items)
    }

    /// `POST …/core-entities/{path}`: creates an entity of any kind (`services`,
    /// `services/{id}/routes`, …).
    pub async fn create_entity(
        &self,
        control_plane_id: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, KonnectError> {
        self.json(
            Method::POST,
            &format!("/v2/control-planes/{control_plane_id}/core-entities/{path}"),
            &[],
            Some(body),
        )
        .await
    }

    /// `POST /v2/metrics`: an analytics query in Konnect's shape; the answer as JSON.
    pub async fn query_metrics(
        &self,
        query: &serde_json::Value,
    ) -> Result<serde_json::Value, KonnectError> {
        // Konnect's default datasource, said outright: the request schema is a `oneOf` keyed on it.
        let mut query = query.clone();
        if let Some(q) = query.as_object_mut() {
            q.entry("datasource").or_insert_with(|| "api_usage".into());
        }
        self.json(Method::POST, ANALYTICS_PATH, &[], Some(&query)).await
    }

    /// `PUT …/core-entities/{path}`: creates or replaces an entity.
    pub async fn put_entity(
        &self,
        control_plane_id: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, KonnectError> {
        self.json(
            Method::PUT,
            &format!("/v2/control-planes/{control_plane_id}/core-entities/{path}"),
            &[],
            Some(body),
        )
        .await
    }

    /// One page of a kind (`size` 1000 from `offset`): its rows, each kept as the JSON text the
    /// server sent (a sync stores text; building a value tree per entity would cost memory and
    /// time for nothing), and the next offset, if any.
    pub async fn list_entities_page(
        &self,
        control_plane_id: &str,
        kind: &str,
        offset: Option<&str>,
    ) -> Result<(Vec<RawEntity>, Option<String>), KonnectError> {
        let text = self.entities_page_text(control_plane_id, kind, offset).await?;
        self.parse_entities_page(control_plane_id, kind, &text)
    }

    /// The body of one page of a kind, unparsed: a sync holds its request slot only for the
    /// exchange itself and parses after giving the slot back.
    pub async fn entities_page_text(
        &self,
        control_plane_id: &str,
        kind: &str,
        offset: Option<&str>,
    ) -> Result<String, KonnectError> {
        let mut query = vec![("size", ENTITY_PAGE_SIZE.to_string())];
        if let Some(o) = offset {
            query.push(("offset", o.to_string()));
        }
        let path = format!("/v2/control-planes/{control_plane_id}/core-entities/{kind}");
        Ok(self.send::<()>(Method::GET, &path, &query, None).await?.1)
    }

    /// A page body from `entities_page_text`: each entity's id and its JSON text as sent, and the
    /// next page's offset.
    pub fn parse_entities_page(
        &self,
        control_plane_id: &str,
        kind: &str,
        text: &str,
    ) -> Result<(Vec<RawEntity>, Option<String>), KonnectError> {
        #[derive(serde::Deserialize)]
        struct Page<'a> {
            #[serde(borrow)]
            data: Vec<&'a serde_json::value::RawValue>,
            #[serde(default)]
            offset: Option<String>,
        }
        #[derive(serde::Deserialize)]
        struct Id<'a> {
            #[serde(borrow)]
            id: std::borrow::Cow<'a, str>,
        }
        let url =
            || self.url(&format!("/v2/control-planes/{control_plane_id}/core-entities/{kind}"));
        let page: Page = serde_json::from_str(text)
            .map_err(|e| KonnectError::Decode { url: url(), message: e.to_string() })?;
        let rows = page
            .data
            .into_iter()
            .map(|raw| {
                let id = serde_json::from_str::<Id>(raw.get())
                    .map_err(|e| KonnectError::Decode {
                        url: url(),
                        message: format!("an entity without an id: {e}"),
                    })?
                    .id
                    .into_owned();
                Ok(RawEntity { id, json: raw.get().to_string() })
            })
            .collect::<Result<Vec<_>, KonnectError>>()?;
        Ok((rows, page.offset))
    }

    /// `GET …/core-entities/{path}`: one entity.
    pub async fn get_entity(
        &self,
        control_plane_id: &str,
        path: &str,
    ) -> Result<serde_json::Value, KonnectError> {
        self.json::<_, ()>(
            Method::GET,
            &format!("/v2/control-planes/{control_plane_id}/core-entities/{path}"),
            &[],
            None,
        )
        .await
    }

    /// `DELETE …/core-entities/{path}`.
    pub async fn delete_entity(
        &self,
        control_plane_id: &str,
        path: &str,
    ) -> Result<(), KonnectError> {
        self.send::<()>(
            Method::DELETE,
            &format!("/v2/control-planes/{control_plane_id}/core-entities/{path}"),
            &[],
            None,
        )
        .await
        .map(|_| ())
    }

    /// Every entity of a kind, following Konnect's offset paging (`size`, `offset`).
    pub async fn list_all_entities(
        &self,
        control_plane_id: &str,
        kind: &str,
    ) -> Result<Vec<serde_json::Value>, KonnectError> {
        #[derive(serde::Deserialize)]
        struct Page {
            data: Vec<serde_json::Value>,
            #[serde(default)]
            offset: Option<String>,
        }
        let path = format!("/v2/control-planes/{control_plane_id}/core-entities/{kind}");
        self.follow_pages(&path, ("size", "1000"), "offset", |p: Page| (p.data, p.offset)).await
    }
}

/// Kong's schemas as Konnect serves them. Konnect's published spec has the plugin schema GET and
/// the validate POST; the entity schema GET and the available-plugins list are served by the local
/// control plane (and Kong's Admin API), and Konnect's own UI reads the list, but neither is in
/// Konnect's published spec: the console calls them on the local profile only.
impl KonnectClient {
    fn core_entities(control_plane_id: &str, rest: &str) -> String {
        format!("/v2/control-planes/{control_plane_id}/core-entities/{rest}")
    }

    /// `GET …/core-entities/schemas/plugins/{name}` (`fetch-plugin-schema`): `{fields, …}`.
    pub async fn plugin_schema(
        &self,
        control_plane_id: &str,
        name: &str,
    ) -> Result<serde_json::Value, KonnectError> {
        let path = Self::core_entities(control_plane_id, &format!("schemas/plugins/{name}"));
        self.json::<_, ()>(Method::GET, &path, &[], None).await
    }

    /// `GET …/core-entities/schemas/{entity}`: an entity kind's schema (local control plane).
    pub async fn entity_schema(
        &self,
        control_plane_id: &str,
        entity: &str,
    ) -> Result<serde_json::Value, KonnectError> {
        let path = Self::core_entities(control_plane_id, &format!("schemas/{entity}"));
        self.json::<_, ()>(Method::GET, &path, &[], None).await
    }

    /// `GET …/core-entities/v1/available-plugins`: the plugin names the group accepts.
    pub async fn available_plugins(
        &self,
        control_plane_id: &str,
    ) -> Result<AvailablePlugins, KonnectError> {
        let path = Self::core_entities(control_plane_id, "v1/available-plugins");
        self.json::<_, ()>(Method::GET, &path, &[], None).await
    }

    /// `POST …/core-entities/schemas/{entity}/validate` (`validate-entity-schema`; `plugins` for a
    /// plugin): checks a body without saving it. A refusal is the config API's 400, as a save's.
    pub async fn validate_entity(
        &self,
        control_plane_id: &str,
        entity: &str,
        body: &serde_json::Value,
    ) -> Result<SchemaValidation, KonnectError> {
        let path = Self::core_entities(control_plane_id, &format!("schemas/{entity}/validate"));
        self.json(Method::POST, &path, &[], Some(body)).await
    }
}

/// An error answer as a typed error, its body read for what it says.
async fn api_error(url: &str, status: StatusCode, resp: reqwest::Response) -> KonnectError {
    let text = match resp.text().await {
        Ok(text) => text,
        Err(e) => {
            return KonnectError::Transport {
                url: url.to_string(),
                message: transport_message(&e),
                cause: crate::reach::cause_of(&e),
            };
        }
    };
    let problem = problem_from_body(status.as_u16(), &text);
    KonnectError::Api(Box::new(ApiError { status: status.as_u16(), problem }))
}

/// `page.next` is a URI (`/v2/…/nodes?page[after]=X…`) or a bare cursor; take the cursor.
fn cursor_from_next(next: &str) -> Option<String> {
    if next.is_empty() {
        return None;
    }
    if !next.contains('?') {
        return Some(next.to_string());
    }
    let parsed = url::Url::parse("http://x").ok()?.join(next).ok()?;
    parsed.query_pairs().find(|(k, _)| k == "page[after]").map(|(_, v)| v.into_owned())
}

fn transport_message(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time (the request timed out)".into()
    } else if e.is_connect() {
        "connection refused or unreachable".into()
    } else {
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            msg = format!("{msg}: {s}");
            src = s.source();
        }
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_uses_konnects_deep_object_names() {
        let q = ControlPlaneQuery {
            name_contains: Some("de".into()),
            labels: Some("env:dev".into()),
            page_size: Some(5),
            ..Default::default()
        };
        let pairs = q.pairs();
        assert!(pairs.contains(&("filter[name][contains]", "de".to_string())));
        assert!(pairs.contains(&("labels", "env:dev".to_string())));
        assert!(pairs.contains(&("page[size]", "5".to_string())));
    }

    #[test]
    fn cursor_is_read_from_a_next_uri_or_taken_bare() {
        assert_eq!(
            cursor_from_next("/v2/control-planes/x/nodes?page%5Bafter%5D=abc&page%5Bsize%5D=2")
                .as_deref(),
            Some("abc")
        );
        assert_eq!(
            cursor_from_next("/v2/control-planes/x/nodes?page[after]=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(cursor_from_next("abc").as_deref(), Some("abc"));
        assert_eq!(cursor_from_next(""), None);
    }

    #[test]
    fn retry_after_is_read_from_the_headers_and_backoff_stays_under_its_cap() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(reqwest::header::RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        h.insert(reqwest::header::RETRY_AFTER, httpdate::fmt_http_date(later).parse().unwrap());
        let wait = retry_after(&h).unwrap();
        assert!(wait > Duration::from_secs(110) && wait <= Duration::from_secs(120), "{wait:?}");
        h.insert(crate::rate_limit::RETRY_AFTER_MS, "40".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(40)), "milliseconds first");
        let p = RetryPolicy::default();
        for n in 1..8 {
            assert!(p.backoff(n) <= p.max_delay);
        }
    }

    #[test]
    fn identity_goes_to_the_global_host_and_the_rest_to_the_region() {
        let eu = ApiHosts::konnect(crate::Region::Eu);
        assert_eq!(eu.url("/v3/users/me"), "https://global.api.konghq.com/v3/users/me");
        assert_eq!(
            eu.url("/v3/teams/t/assigned-roles"),
            "https://global.api.konghq.com/v3/teams/t/assigned-roles"
        );
        assert_eq!(eu.url("/v2/control-planes"), "https://eu.api.konghq.com/v2/control-planes");
        assert_eq!(eu.url(ANALYTICS_PATH), "https://eu.api.konghq.com/v2/metrics");
        let local = ApiHosts::single("http://127.0.0.1:8001/");
        assert_eq!(local.url("/v3/users/me"), "http://127.0.0.1:8001/v3/users/me");
        assert_eq!(local.url("/v2/control-planes"), "http://127.0.0.1:8001/v2/control-planes");
        let c = KonnectClient::for_region(crate::Region::Au, "kpat_x").unwrap();
        assert_eq!(c.base_url(), "https://au.api.konghq.com");
        assert_eq!(c.hosts().global, crate::GLOBAL_BASE_URL);
        let bad = ApiHosts { regional: "http://127.0.0.1:1".into(), global: "not a url".into() };
        assert!(matches!(KonnectClient::with_hosts(bad, "kpat_x"), Err(KonnectError::BaseUrl(_))));
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let c = KonnectClient::new("http://127.0.0.1:1", "kpat_secret").unwrap();
        assert!(!format!("{c:?}").contains("kpat_secret"));
    }
}
