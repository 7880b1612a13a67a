//! Workers scale in containers: an image made without pulling anything (a root filesystem with
//! the test build's `teleops` binary and the shared libraries it links, loaded like `docker
//! import`), three worker containers started through bollard on the host network against the
//! test's own Redis and Postgres, a backlog drained by all three, and one stopped mid-run with
//! nothing lost.
//!
//! The engine is the one `.ci/with-servers` starts (`TELEOPS_TEST_DOCKER_HOST`); the test runs in
//! the Postgres + Redis setup and is skipped elsewhere.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
    StopContainerOptionsBuilder,
};
use futures::TryStreamExt;
use shared::docker::Docker;
use shared::jobs::Job;
use shared::metrics::Metrics;
use shared::queue::redis::RedisQueue;
use shared::queue::{JobFilter, JobState, Queue};

use crate::helpers::{TEST_KEY, TempDir, eventually};
use crate::processes::{Servers, backlog, wait_done};
use crate::setup::{Setup, setup};

/// The engine `.ci/with-servers` started, if any; under CI in the Postgres + Redis setup it must be.
fn engine() -> Option<Docker> {
    let Ok(host) = std::env::var("TELEOPS_TEST_DOCKER_HOST") else {
        let required = crate::postgres::under_ci() && setup() == Setup::PostgresRedis;
        assert!(!required, "CONTAINER TESTS CANNOT RUN UNDER CI: .ci/with-servers started no dockerd");
        return None;
    };
    Some(shared::docker::connect(&host).expect("the test engine's socket"))
}

/// A root filesystem holding `binary` as `/teleops`, the libraries `ldd` says it links, and a
/// writable `/tmp`, as a tar archive.
fn root_filesystem(binary: &Path, dir: &Path) -> Vec<u8> {
    let root = dir.join("rootfs");
    std::fs::create_dir_all(root.join("tmp")).unwrap();
    std::fs::copy(binary, root.join("teleops")).unwrap();
    let ldd = Command::new("ldd").arg(binary).output().expect("ldd runs");
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)` or `/lib64/ld-linux-x86-64.so.2 (0x…)`
        let Some(path) = line.split_whitespace().find(|word| word.starts_with('/')) else { continue };
        let target = root.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(path, &target).unwrap_or_else(|e| panic!("copying {path}: {e}"));
    }
    let tar = Command::new("tar").arg("-C").arg(&root).args(["-c", "."]).output().expect("tar runs");
    assert!(tar.status.success(), "tar: {}", String::from_utf8_lossy(&tar.stderr));
    tar.stdout
}

/// Removes the test's containers and image, whatever happened.
struct Cleanup {
    docker: Docker,
    image: String,
    containers: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let (docker, image, containers) = (self.docker.clone(), self.image.clone(), self.containers.clone());
        let removed = std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                let force = RemoveContainerOptionsBuilder::new().force(true).build();
                for name in &containers {
                    let _ = docker.remove_container(name, Some(force.clone())).await;
                }
                let _ =
                    docker.remove_image(&image, Some(RemoveImageOptionsBuilder::new().force(true).build()), None).await;
            })
        });
        let _ = removed.join();
    }
}

#[tokio::test]
async fn three_worker_containers_drain_a_backlog_together_and_one_stopped_mid_run_loses_nothing() {
    let Some(docker) = engine() else { return };
    let Some(servers) = Servers::start().await else { return };
    let dir = TempDir::new();
    let tag = format!("{}-{}", std::process::id(), chrono::Utc::now().timestamp_millis());
    let image = format!("teleops-test:{tag}");
    let mut cleanup = Cleanup { docker: docker.clone(), image: image.clone(), containers: Vec::new() };

    let archive = root_filesystem(Path::new(env!("CARGO_BIN_EXE_teleops")), &dir.0);
    let import = CreateImageOptionsBuilder::new().from_src("-").repo("teleops-test").tag(&tag).build();
    docker
        .create_image(Some(import), Some(bollard::body_full(archive.into())), None)
        .try_collect::<Vec<_>>()
        .await
        .expect("the root filesystem imports");

    let env = [
        format!("TELEOPS_DATABASE_URL={}", servers.pg.url),
        format!("TELEOPS_QUEUE_URL={}", servers.redis.url),
        format!("TELEOPS_SECRET_KEY={TEST_KEY}"),
        "TELEOPS_DATA_DIR=/tmp/data".into(),
        "TELEOPS_LOG=warn".into(),
    ];
    for n in 1..=3 {
        let name = format!("teleops-test-worker-{tag}-{n}");
        let body = ContainerCreateBody {
            image: Some(image.clone()),
            cmd: Some(vec!["/teleops".into(), "worker".into()]),
            env: Some(env.to_vec()),
            host_config: Some(HostConfig { network_mode: Some("host".into()), ..Default::default() }),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::new().name(&name).build();
        docker.create_container(Some(options), body).await.expect("the worker container is created");
        cleanup.containers.push(name.clone());
        docker.start_container(&name, None).await.expect("the worker container starts");
    }
    let redis = RedisQueue::connect(&servers.redis.url, "teleops:").await.unwrap();
    let queue = Queue::redis(redis.clone(), Metrics::new());
    // Every worker of the three containers beats before the backlog arrives, so all take part.
    eventually("three containers' heartbeat workers", || async {
        let workers = redis.workers(chrono::Utc::now()).await.unwrap();
        let heartbeat = workers.iter().filter(|w| w.queue == shared::jobs::Heartbeat::QUEUE).count();
        (heartbeat >= 3).then_some(())
    })
    .await;

    let total = 20_000;
    backlog(&queue, total).await;
    wait_done(&queue, "a tenth done", total / 10, Duration::from_secs(60)).await;
    let stop = StopContainerOptionsBuilder::new().t(10).build();
    docker.stop_container(&cleanup.containers[0], Some(stop)).await.expect("one container stops");
    wait_done(&queue, "every job done", total, Duration::from_secs(120)).await;

    let all = queue.list(&JobFilter::queue(shared::jobs::Heartbeat::QUEUE), total as u64, 0).await.unwrap();
    assert_eq!(all.len() as i64, total, "nothing lost");
    assert!(all.iter().all(|j| j.state == JobState::Done));
    let names: HashSet<_> = all.iter().filter_map(|j| j.worker.clone()).collect();
    assert!(names.len() >= 3, "finished by {names:?}");
    let stopped = docker.inspect_container(&cleanup.containers[0], None).await.unwrap();
    let state = stopped.state.expect("a state");
    assert_eq!((state.running, state.exit_code), (Some(false), Some(0)), "the stopped worker exited cleanly");
    eprintln!("containers: {total} jobs done by {} workers; one container stopped mid-run", names.len());
    drop(cleanup);
}
