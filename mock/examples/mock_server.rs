//! Runs a mock cluster until killed, for pointing any Kafka client or tool at it:
//!
//! ```sh
//! cargo run -p kafkit-mock --example mock_server -- 3     # 3 brokers
//! ```
//!
//! It prints `bootstrap=127.0.0.1:PORT,...` on its first line of output.

use std::io::Write;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let brokers = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(1);
    let cluster = kafkit_mock::MockCluster::start(brokers).await?;
    println!("bootstrap={}", cluster.bootstrap());
    std::io::stdout().flush()?;
    std::future::pending::<()>().await;
    Ok(())
}
