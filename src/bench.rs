//! `teleops bench`: performance measurements printed as a table; the figures go to BENCHMARKS.md.

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Bench {
    /// The embedded queue: enqueue and drain rates, idle pickup latency, idle RSS of `up`.
    Queue {
        /// No-op jobs to enqueue and drain.
        #[arg(long, default_value_t = 20_000)]
        jobs: usize,
        /// Pickup latency samples on an idle queue.
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
}

pub async fn run(what: Bench) -> anyhow::Result<()> {
    match what {
        Bench::Queue { .. } => anyhow::bail!("not yet"),
    }
}
