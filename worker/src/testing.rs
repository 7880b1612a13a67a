//! Test support (feature `test-support`): a throwaway PKI and a loopback TLS server, for the
//! HTTPS probe's tests here and the end-to-end tests of the app; and the probe policy the probes'
//! own tests run under.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::PrivatePkcs8KeyDer;

/// The policy of an admin who ran `/probes allow 127.0.0.0/8` and `/probes allow ::1`: loopback
/// test servers may be probed (the built-in denies hold otherwise).
pub fn loopback_allowed() -> shared::monitoring::policy::ProbePolicy {
    let nets = ["127.0.0.0/8", "::1"].map(|n| shared::monitoring::policy::parse_network(n).expect("a network"));
    shared::monitoring::policy::ProbePolicy::new(nets.to_vec(), vec![])
}

/// A CA and a "localhost" leaf it signed, valid for `days_left` more days, and a TLS server
/// config presenting the leaf.
pub fn pki(days_left: i64) -> (String, Arc<rustls::ServerConfig>) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "teleops test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_key = KeyPair::generate().unwrap();
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);

    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let now = time::OffsetDateTime::now_utc();
    leaf.not_before = now - time::Duration::days(30);
    leaf.not_after = now + time::Duration::days(days_left);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();

    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf_cert.der().clone()], PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into())
        .unwrap();
    (ca_pem, Arc::new(config))
}

/// A TLS server on loopback answering every request with `200 ok`.
pub async fn serve_tls(config: Arc<rustls::ServerConfig>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A handshake the client aborts (untrusted certificate) just ends here.
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}
