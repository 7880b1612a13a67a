//! The HTTP(S) probe: one request (GET or HEAD) through a shared client that follows up to 10
//! redirects, with the status checked against an expected range, an optional keyword looked for
//! (or required to be absent) in the first MiB of the body, and, for https, the days left on the
//! server's certificate. The probe policy (built-in denies and the admins' rules) is enforced on
//! the addresses the name resolves to at check time, and on IP-literal hosts of the URL and of
//! every redirect hop, so neither a DNS name nor a redirect can point a monitor at a forbidden
//! network. Every failure is an
//! [`Outcome::Down`] with the most specific [`Reason`]; nothing here panics or returns an error.

use std::error::Error as StdError;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use shared::monitoring::alerts::{Outcome, Reason};
use shared::monitoring::model::DEFAULT_EXPECT;
use shared::monitoring::options::HttpMethod;
use shared::monitoring::policy::ProbePolicy;
use url::{Host, Url};

use super::probes::Probed;

/// Where the current probe policy comes from; called at every check (and every DNS resolution), so
/// an admin's change applies to the next check without rebuilding the client.
pub type PolicySource = Arc<dyn Fn() -> ProbePolicy + Send + Sync>;

/// Redirects followed before giving up (the same limit as reqwest's default policy).
const MAX_REDIRECTS: usize = 10;

/// How much of the body the keyword is looked for in: enough for any status page, and a bound on
/// what a hostile or broken server can make the worker buffer.
const MAX_BODY: usize = 1024 * 1024;

/// A text that must (or must not) appear in the response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyword {
    pub text: String,
    /// `false` means the text must NOT appear (e.g. "maintenance").
    pub must_contain: bool,
}

/// One HTTP check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSpec {
    pub url: Url,
    pub method: HttpMethod,
    pub expect: RangeInclusive<u16>,
    pub keyword: Option<Keyword>,
    /// The whole check: connecting, redirects, headers and the body read.
    pub timeout: Duration,
}

impl HttpSpec {
    /// A GET expecting [`DEFAULT_EXPECT`], without keyword, with a 10 s timeout.
    pub fn new(url: Url) -> Self {
        Self { url, method: HttpMethod::Get, expect: DEFAULT_EXPECT, keyword: None, timeout: Duration::from_secs(10) }
    }
}

/// Runs HTTP checks with one shared client (its TLS roots and resolver are built once).
pub struct HttpProber {
    client: reqwest::Client,
    policy: PolicySource,
}

/// Why our own parts of the request pipeline (resolver, redirect policy) stopped a request. They
/// travel inside reqwest's error and are found again by [`classify`].
#[derive(Debug, thiserror::Error)]
enum ProbeError {
    #[error("{0} is not permitted by the probe policy")]
    NotPermitted(IpAddr),
    #[error("{host}: {message}")]
    Unresolvable { host: String, message: String },
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
}

impl ProbeError {
    fn reason(&self) -> Reason {
        match self {
            ProbeError::NotPermitted(ip) => Reason::NotPermitted(ip.to_string()),
            ProbeError::Unresolvable { host, message } => {
                tracing::debug!(host, message, "no address for the host");
                Reason::Unresolvable(host.clone())
            }
            ProbeError::TooManyRedirects => Reason::TooManyRedirects,
        }
    }
}

impl HttpProber {
    /// extra_ca_pem: PEM bytes of extra CA certificates to trust (TELEOPS_CA_FILE contents), if any.
    pub fn new(extra_ca_pem: Option<&[u8]>, policy: PolicySource) -> anyhow::Result<Self> {
        let redirect_policy = policy.clone();
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            // Gives each response the server's leaf certificate, for the expiry check.
            .tls_info(true)
            .dns_resolver(Arc::new(PolicyResolver { policy: policy.clone() }))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                // `previous` includes the initial URL, as in reqwest's own limit.
                if attempt.previous().len() > MAX_REDIRECTS {
                    return attempt.error(ProbeError::TooManyRedirects);
                }
                // An IP-literal hop never reaches the resolver, so the policy is applied here.
                match literal_ip(attempt.url()) {
                    Some(ip) if !redirect_policy().permits(ip) => attempt.error(ProbeError::NotPermitted(ip)),
                    _ => attempt.follow(),
                }
            }))
            // A proxy would resolve the target itself, out of the policy's reach; a probe also
            // measures the path from this worker, not from a proxy.
            .no_proxy()
            // A fresh connection per check: a pooled one would skip the resolution (and so the
            // policy), the TLS handshake (and so the certificate check) and hide connect failures.
            .pool_max_idle_per_host(0)
            .user_agent(concat!("teleops-monitor/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = extra_ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem).context("reading the extra CA certificates")?;
            if certs.is_empty() {
                anyhow::bail!("the extra CA file holds no PEM certificate");
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().context("building the HTTP client")?;
        Ok(Self { client, policy })
    }

    /// Runs one check; never fails, never takes (much) longer than `spec.timeout`.
    pub async fn check(&self, spec: &HttpSpec) -> Probed {
        // reqwest's own timeout covers the request and the body; this one also bounds our own steps
        // so that no path can outlive the monitor's timeout.
        let probed = tokio::time::timeout(spec.timeout, self.run(spec))
            .await
            .unwrap_or(Probed::unaddressed(Outcome::Down { reason: Reason::Timeout(spec.timeout) }));
        // Only the host: paths and queries may carry tokens.
        let host = spec.url.host_str().unwrap_or_default();
        match &probed.outcome {
            Outcome::Up { latency_ms, cert_days_left } => {
                tracing::debug!(host, latency_ms, ?cert_days_left, "http check up");
            }
            Outcome::Down { reason } => tracing::debug!(host, reason = %reason.describe(), "http check down"),
        }
        probed
    }

    async fn run(&self, spec: &HttpSpec) -> Probed {
        let scheme = spec.url.scheme();
        if scheme != "http" && scheme != "https" {
            return Probed::unaddressed(down(Reason::Other(format!("unsupported scheme {scheme:?}"))));
        }
        if let Some(ip) = literal_ip(&spec.url)
            && !(self.policy)().permits(ip)
        {
            return Probed { outcome: down(Reason::NotPermitted(ip.to_string())), address: Some(ip) };
        }
        let method = match spec.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Head => reqwest::Method::HEAD,
        };
        let started = Instant::now();
        let mut response = match self.client.request(method, spec.url.clone()).timeout(spec.timeout).send().await {
            Ok(response) => response,
            Err(err) => {
                // A hop the policy refused names its address; other failures have none to report.
                let address = match find::<ProbeError>(&err) {
                    Some(ProbeError::NotPermitted(ip)) => Some(*ip),
                    _ => None,
                };
                return Probed { outcome: down(classify(err, spec.timeout)), address };
            }
        };
        let latency_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        // The final hop's address: that is the server whose answer is judged.
        let address = response.remote_addr().map(|a| a.ip());
        Probed { outcome: judge(spec, &mut response, latency_ms).await, address }
    }
}

/// The verdict on a response: its certificate (https), its status, and the keyword in its body.
async fn judge(spec: &HttpSpec, response: &mut reqwest::Response, latency_ms: u32) -> Outcome {
    // The certificate of the final hop: that is the server whose answer is judged.
    let cert_days_left = if response.url().scheme() == "https" {
        match cert_days_left(response) {
            Ok(days) => days,
            Err(reason) => return down(reason),
        }
    } else {
        None
    };

    let status = response.status().as_u16();
    if !spec.expect.contains(&status) {
        return down(Reason::HttpStatus(status));
    }

    if let (HttpMethod::Get, Some(keyword)) = (spec.method, &spec.keyword) {
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_BODY - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if body.len() >= MAX_BODY {
                        break;
                    }
                }
                Ok(None) => break,
                Err(err) => return down(classify(err, spec.timeout)),
            }
        }
        // Bytes, not text: the body's charset does not matter for a UTF-8 keyword found as is.
        let found = contains(&body, keyword.text.as_bytes());
        if keyword.must_contain && !found {
            return down(Reason::KeywordMissing(keyword.text.clone()));
        }
        if !keyword.must_contain && found {
            return down(Reason::KeywordPresent(keyword.text.clone()));
        }
    }
    Outcome::Up { latency_ms, cert_days_left }
}

/// Resolves with the system resolver and keeps only the addresses the policy permits, so that the
/// connection can only go where the policy allows, whatever the name resolves to at check time.
struct PolicyResolver {
    policy: PolicySource,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let unresolvable = |message: String| ProbeError::Unresolvable { host: host.clone(), message };
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|err| unresolvable(err.to_string()))?
                .collect();
            let Some(first) = addrs.first().map(SocketAddr::ip) else {
                return Err(unresolvable("no address".to_owned()).into());
            };
            let policy = policy();
            let permitted: Vec<SocketAddr> = addrs.into_iter().filter(|a| policy.permits(a.ip())).collect();
            if permitted.is_empty() {
                return Err(ProbeError::NotPermitted(first).into());
            }
            Ok(Box::new(permitted.into_iter()) as Addrs)
        })
    }
}

fn down(reason: Reason) -> Outcome {
    Outcome::Down { reason }
}

/// The host of `url` when it is an IP address (these bypass any resolver).
fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        Host::Domain(_) => None,
    }
}

/// A substring search in linear time (memchr's two-way search with SIMD prefilters): comparing
/// every window was O(body × keyword), up to 1 MiB times a keyword of hundreds of bytes per check.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// Days left on the leaf certificate of an https response, `None` when it cannot be read.
fn cert_days_left(response: &reqwest::Response) -> Result<Option<i64>, Reason> {
    let Some(der) = response.extensions().get::<reqwest::tls::TlsInfo>().and_then(|info| info.peer_certificate())
    else {
        tracing::warn!("https response without the peer certificate; expiry not checked");
        return Ok(None);
    };
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => {
            let left = cert.validity().not_after.timestamp() - chrono::Utc::now().timestamp();
            if left < 0 {
                // rustls rejects expired certificates in the handshake; this covers the clock moving
                // between the handshake and here.
                return Err(Reason::CertExpired);
            }
            Ok(Some(left.div_euclid(86_400)))
        }
        Err(err) => {
            // rustls accepted it, so the site works: a parser disagreement is not an outage.
            tracing::warn!(error = %err, "could not read the certificate's expiry");
            Ok(None)
        }
    }
}

/// The most specific reason in a reqwest error's cause chain.
fn classify(err: reqwest::Error, timeout: Duration) -> Reason {
    if let Some(ours) = find::<ProbeError>(&err) {
        return ours.reason();
    }
    if let Some(tls) = find::<rustls::Error>(&err) {
        return Reason::Tls(tls.to_string());
    }
    if err.is_timeout() {
        return Reason::Timeout(timeout);
    }
    if let Some(io) = find::<std::io::Error>(&err) {
        match io.kind() {
            std::io::ErrorKind::ConnectionRefused => return Reason::Refused,
            std::io::ErrorKind::TimedOut => return Reason::Timeout(timeout),
            _ => {}
        }
    }
    // The URL may carry credentials or tokens and the reason is shown to users: drop it.
    let err = err.without_url();
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    Reason::Other(message)
}

/// The first error of type `T` in the chain. `io::Error::source` skips the error an `io::Error`
/// wraps, so the walk steps into it instead (a TLS failure arrives as an `io::Error` around an
/// `io::Error` around the `rustls::Error`).
fn find<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = match e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::sync::RwLock;

    use axum::Router;
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::response::Redirect;
    use axum::routing::get;
    use futures::StreamExt as _;
    use shared::monitoring::policy::parse_network;

    use super::*;

    const SHORT: Duration = Duration::from_millis(300);

    /// Loopback allowed, as the test servers are there.
    fn open() -> PolicySource {
        Arc::new(crate::testing::loopback_allowed)
    }

    fn deny_loopback() -> ProbePolicy {
        ProbePolicy::new(vec![], vec![parse_network("127.0.0.0/8").unwrap(), parse_network("::1").unwrap()])
    }

    fn spec(url: &str) -> HttpSpec {
        HttpSpec { timeout: Duration::from_secs(5), ..HttpSpec::new(url.parse().unwrap()) }
    }

    #[test]
    fn keyword_search_finds_substrings_anywhere() {
        assert!(contains(b"hello world", b"world") && contains(b"hello", b"hello") && contains(b"x", b""));
        assert!(!contains(b"hello", b"hello!") && !contains(b"", b"a") && !contains(b"abcab", b"abd"));
        let body = [b"a".repeat(1 << 20), b"needle".to_vec()].concat();
        assert!(
            contains(&body, b"needle")
                && !contains(&body, &b"a".repeat(300).iter().chain(b"b").copied().collect::<Vec<u8>>())
        );
    }

    fn keyword(text: &str, must_contain: bool) -> Option<Keyword> {
        Some(Keyword { text: text.to_owned(), must_contain })
    }

    /// A loopback server with one route per behaviour under test.
    async fn serve() -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let to_other_ip = format!("http://127.0.0.2:{}/", addr.port());
        let to_zero = format!("http://0.0.0.0:{}/", addr.port());
        let to_mapped = format!("http://[::ffff:127.0.0.2]:{}/", addr.port());
        let app = Router::new()
            .route("/", get(|| async { "hello from teleops" }))
            .route("/fail", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }))
            .route("/r1", get(|| async { Redirect::temporary("/r2") }))
            .route("/r2", get(|| async { Redirect::to("/") }))
            .route("/loop", get(|| async { Redirect::temporary("/loop") }))
            .route(
                "/to-other-ip",
                get(move || {
                    let to = to_other_ip.clone();
                    async move { Redirect::temporary(&to) }
                }),
            )
            .route("/to-zero", get(move || async move { Redirect::temporary(&to_zero) }))
            .route("/to-mapped", get(move || async move { Redirect::temporary(&to_mapped) }))
            .route("/stall", get(std::future::pending::<&'static str>))
            .route(
                "/stall-body",
                get(|| async {
                    let first = futures::stream::once(async { Ok::<_, Infallible>("partial ") });
                    Body::from_stream(first.chain(futures::stream::pending()))
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    #[tokio::test]
    async fn statuses_redirects_keywords_and_timeouts() {
        let addr = serve().await;
        let prober = HttpProber::new(None, open()).unwrap();
        let base = format!("http://{addr}");

        let up = prober.check(&spec(&format!("{base}/"))).await.outcome;
        assert!(matches!(up, Outcome::Up { cert_days_left: None, .. }), "{up:?}");

        let fail = prober.check(&spec(&format!("{base}/fail"))).await.outcome;
        assert_eq!(fail, down(Reason::HttpStatus(500)));

        // Only a 200 is accepted, so Up proves the chain /r1 -> /r2 -> / was followed to its end.
        let redirected = HttpSpec { expect: 200..=200, keyword: keyword("hello", true), ..spec(&format!("{base}/r1")) };
        assert!(matches!(prober.check(&redirected).await.outcome, Outcome::Up { .. }));

        let endless = prober.check(&spec(&format!("{base}/loop"))).await.outcome;
        assert!(matches!(&endless, Outcome::Down { reason: Reason::TooManyRedirects }), "{endless:?}");

        let missing = HttpSpec { keyword: keyword("welcome", true), ..spec(&format!("{base}/")) };
        assert_eq!(prober.check(&missing).await.outcome, down(Reason::KeywordMissing("welcome".into())));

        let present = HttpSpec { keyword: keyword("hello", false), ..spec(&format!("{base}/")) };
        assert_eq!(prober.check(&present).await.outcome, down(Reason::KeywordPresent("hello".into())));

        let absent = HttpSpec { keyword: keyword("maintenance", false), ..spec(&format!("{base}/")) };
        assert!(matches!(prober.check(&absent).await.outcome, Outcome::Up { .. }));

        // HEAD has no body, so the keyword is not looked for.
        let head = HttpSpec { method: HttpMethod::Head, ..missing.clone() };
        assert!(matches!(prober.check(&head).await.outcome, Outcome::Up { .. }));

        for path in ["/stall", "/stall-body"] {
            let stalled =
                HttpSpec { timeout: SHORT, keyword: keyword("never", true), ..spec(&format!("{base}{path}")) };
            let started = Instant::now();
            assert_eq!(prober.check(&stalled).await.outcome, down(Reason::Timeout(SHORT)), "{path}");
            assert!(started.elapsed() < Duration::from_secs(3), "{path} took {:?}", started.elapsed());
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_refused() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let prober = HttpProber::new(None, open()).unwrap();
        assert_eq!(prober.check(&spec(&format!("http://127.0.0.1:{port}/"))).await.outcome, down(Reason::Refused));
    }

    #[tokio::test]
    async fn the_policy_is_applied_at_check_time_to_literals_names_and_redirect_hops() {
        let addr = serve().await;
        let current = Arc::new(RwLock::new(crate::testing::loopback_allowed()));
        let source = current.clone();
        let prober = HttpProber::new(None, Arc::new(move || source.read().unwrap().clone())).unwrap();
        let by_ip = spec(&format!("http://127.0.0.1:{}/", addr.port()));
        let by_name = spec(&format!("http://localhost:{}/", addr.port()));
        assert!(matches!(prober.check(&by_ip).await.outcome, Outcome::Up { .. }));
        assert!(matches!(prober.check(&by_name).await.outcome, Outcome::Up { .. }));

        // A redirect to a denied IP literal is stopped at that hop.
        *current.write().unwrap() = ProbePolicy::new(
            crate::testing::loopback_allowed().allow().to_vec(),
            vec![parse_network("127.0.0.2").unwrap()],
        );
        let hop = prober.check(&spec(&format!("http://127.0.0.1:{}/to-other-ip", addr.port()))).await;
        assert_eq!(
            hop,
            Probed { outcome: down(Reason::NotPermitted("127.0.0.2".into())), address: Some(ip("127.0.0.2")) }
        );

        // The same prober, with the policy changed: both the literal and the resolved name are refused.
        *current.write().unwrap() = deny_loopback();
        assert_eq!(prober.check(&by_ip).await.outcome, down(Reason::NotPermitted("127.0.0.1".into())));
        let named = prober.check(&by_name).await.outcome;
        assert!(
            matches!(&named, Outcome::Down { reason: Reason::NotPermitted(ip) } if ip == "127.0.0.1" || ip == "::1"),
            "{named:?}"
        );
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// See: issue 8 — with 127.0.0.0/8 and ::1 denied, `http://0.0.0.0:PORT/` still reached a
    /// loopback server. Neither the URL nor a redirect hop reaches the machine itself in any form.
    #[tokio::test]
    async fn built_in_denies_hold_for_literals_names_and_redirect_hops() {
        let addr = serve().await;
        let port = addr.port();
        let builtin = HttpProber::new(None, Arc::new(ProbePolicy::default)).unwrap();
        for url in [
            format!("http://127.0.0.1:{port}/"),
            format!("http://0.0.0.0:{port}/"),
            format!("http://[::ffff:127.0.0.1]:{port}/"),
            format!("http://[::127.0.0.1]:{port}/"),
            format!("http://localhost:{port}/"),
            "http://169.254.169.254/latest/meta-data/".to_owned(),
        ] {
            let probed = builtin.check(&spec(&url)).await;
            assert!(matches!(&probed.outcome, Outcome::Down { reason: Reason::NotPermitted(_) }), "{url}: {probed:?}");
        }

        // Only 127.0.0.1 allowed (as narrow as a built-in range, so it lifts it): hops elsewhere on
        // the machine, however written, are stopped.
        let one = ProbePolicy::new(vec![parse_network("127.0.0.1").unwrap()], vec![]);
        let prober = HttpProber::new(None, Arc::new(move || one.clone())).unwrap();
        let up = prober.check(&spec(&format!("http://127.0.0.1:{port}/"))).await;
        assert_eq!((up.outcome.is_up(), up.address), (true, Some(ip("127.0.0.1"))), "{up:?}");
        for (path, refused) in
            [("/to-zero", "0.0.0.0"), ("/to-mapped", "::ffff:127.0.0.2"), ("/to-other-ip", "127.0.0.2")]
        {
            let hop = prober.check(&spec(&format!("http://127.0.0.1:{port}{path}"))).await;
            assert_eq!(hop.outcome, down(Reason::NotPermitted(refused.into())), "{path}");
        }
    }

    #[tokio::test]
    async fn https_reports_certificate_days_left_and_rejects_untrusted_or_expired_certificates() {
        let (ca_pem, config) = crate::testing::pki(5);
        let port = crate::testing::serve_tls(config).await;
        let url = format!("https://localhost:{port}/");

        let trusting = HttpProber::new(Some(ca_pem.as_bytes()), open()).unwrap();
        let up = trusting.check(&HttpSpec { keyword: keyword("ok", true), ..spec(&url) }).await.outcome;
        assert!(matches!(up, Outcome::Up { cert_days_left: Some(4 | 5), .. }), "{up:?}");

        let default_roots = HttpProber::new(None, open()).unwrap();
        let untrusted = default_roots.check(&spec(&url)).await.outcome;
        assert!(matches!(&untrusted, Outcome::Down { reason: Reason::Tls(_) }), "{untrusted:?}");

        let (ca_pem, config) = crate::testing::pki(-1);
        let port = crate::testing::serve_tls(config).await;
        let prober = HttpProber::new(Some(ca_pem.as_bytes()), open()).unwrap();
        let expired = prober.check(&spec(&format!("https://localhost:{port}/"))).await.outcome;
        assert!(
            matches!(&expired, Outcome::Down { reason: Reason::Tls(m) } if m.to_lowercase().contains("expired")),
            "{expired:?}"
        );
    }

    #[test]
    fn a_bad_ca_file_is_an_error_at_startup() {
        assert!(HttpProber::new(Some(b"not a certificate"), open()).is_err());
    }

    #[test]
    fn keywords_match_bytes() {
        assert!(contains(b"all systems operational", b"operational"));
        assert!(!contains(b"all systems", b"operational"));
        assert!(contains(b"anything", b""));
        assert!(!contains(b"", b"x"));
    }
}
