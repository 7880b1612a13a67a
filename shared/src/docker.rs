//! The Docker engine, configured once for every role that uses it: `TELEOPS_DOCKER_HOST`
//! (`Settings::docker_host`), reached through bollard. A host names a Unix socket
//! (`unix:///var/run/docker.sock`, the default) or a TCP endpoint without TLS (`tcp://host:2375`,
//! `http://host:2375`); put a TLS engine behind a local socket proxy.

pub use bollard::Docker;

/// The local engine's socket: the default.
pub const LOCAL_SOCKET: &str = "unix:///var/run/docker.sock";

/// Why a `TELEOPS_DOCKER_HOST` value is refused, if it is.
pub fn check_host(host: &str) -> Result<(), String> {
    let rest = ["unix://", "tcp://", "http://"].iter().find_map(|scheme| host.strip_prefix(scheme));
    match rest {
        None => Err(format!("{host:?} is not unix:///path/to/docker.sock, tcp://host:port or http://host:port")),
        Some("") => Err(format!("{host:?} names no socket or address")),
        Some(_) => Ok(()),
    }
}

/// A client of the engine at `host` (see [`check_host`]). Nothing is sent until the first call;
/// a Unix socket must exist already.
pub fn connect(host: &str) -> Result<Docker, DockerError> {
    check_host(host).map_err(DockerError::Host)?;
    Ok(Docker::connect_with_host(host)?)
}

/// The engine could not be reached or refused a call.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("TELEOPS_DOCKER_HOST: {0}")]
    Host(String),
    #[error("docker: {0}")]
    Engine(#[from] bollard::errors::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_name_a_socket_or_an_address() {
        assert_eq!(check_host(LOCAL_SOCKET), Ok(()));
        assert_eq!(check_host("tcp://10.0.0.5:2375"), Ok(()));
        assert!(check_host("/var/run/docker.sock").unwrap_err().contains("unix:///path"));
        assert!(check_host("unix://").unwrap_err().contains("names no socket"));
        assert!(check_host("ssh://box").is_err());
    }

    #[test]
    fn a_missing_socket_is_an_error_not_a_panic() {
        assert!(connect("unix:///nonexistent/docker.sock").is_err());
    }
}
