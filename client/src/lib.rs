//! kafkit-client: connections, producer and consumer (being built).
