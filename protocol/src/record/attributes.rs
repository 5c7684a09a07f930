//! The attribute bits of record batches and legacy messages, and the timestamp type they carry.

/// Bit 3: the timestamps are the broker's log append time.
pub(crate) const TIMESTAMP_TYPE_BIT: i16 = 0x08;
/// Bit 4 (v2): the batch belongs to a transaction.
pub(crate) const TRANSACTIONAL_BIT: i16 = 0x10;
/// Bit 5 (v2): the batch holds control records (transaction markers).
pub(crate) const CONTROL_BIT: i16 = 0x20;
/// Bit 6 (v2): the base timestamp is the delete horizon set by log compaction.
pub(crate) const DELETE_HORIZON_BIT: i16 = 0x40;

/// What a record's timestamp means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimestampType {
    /// No timestamp (magic 0 messages); the timestamp is -1.
    NoTimestamp,
    /// Set by the producer when the record was created.
    #[default]
    CreateTime,
    /// Set by the broker when it appended the batch to the log
    /// (`message.timestamp.type=LogAppendTime`).
    LogAppendTime,
}

impl TimestampType {
    /// The type in the attributes of a v2 batch or a magic 1 message (bit 3).
    pub fn from_attributes(attributes: i16) -> Self {
        if attributes & TIMESTAMP_TYPE_BIT != 0 {
            Self::LogAppendTime
        } else {
            Self::CreateTime
        }
    }

    /// The id Kafka uses for the type: -1, 0 or 1.
    pub fn id(self) -> i8 {
        match self {
            Self::NoTimestamp => -1,
            Self::CreateTime => 0,
            Self::LogAppendTime => 1,
        }
    }

    /// The attribute bit of the type (only `LogAppendTime` sets one).
    pub(crate) fn attribute_bits(self) -> i16 {
        match self {
            Self::LogAppendTime => TIMESTAMP_TYPE_BIT,
            Self::NoTimestamp | Self::CreateTime => 0,
        }
    }
}
