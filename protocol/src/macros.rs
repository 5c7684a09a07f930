//! The declaration language for messages.
//!
//! Every request, response and nested structure is written once as a list of fields, each with
//! the versions it exists in (Kafka's notation: `3+`, `0-12`, `5`), the versions in which it may
//! be null, its tag if it is a tagged field, and its default if that is not the type's zero:
//!
//! ```text
//! kafka_struct! {
//!     /// doc
//!     PartitionData {
//!         partition_index: i32 = v(0+),
//!         last_stable_offset: i64 = v(4+) default(-1),
//!         aborted_transactions: Option<Vec<AbortedTransaction>> = v(4+) null(4+),
//!         diverging_epoch: EpochEndOffset = v(12+) tag(0),
//!         records: Option<Bytes> = v(0+) null(0+),
//!     }
//! }
//! ```
//!
//! From that, [`kafka_struct!`] derives the struct, its `Default`, encode, decode and encoded
//! size for every version (and, for tests, random generation). [`kafka_message!`] does the same
//! for a top-level message and adds its [`crate::messages::Message`] implementation.

/// `(lowest, highest)` of a version range written `3+`, `0-12` or `5`.
macro_rules! vrange {
    ($lo:literal +) => {
        ($lo as i16, i16::MAX)
    };
    ($lo:literal - $hi:literal) => {
        ($lo as i16, $hi as i16)
    };
    ($v:literal) => {
        ($v as i16, $v as i16)
    };
}

/// Whether `version` is in a range written as for [`vrange!`].
macro_rules! in_vrange {
    ($v:expr; $($r:tt)+) => {{
        let (lo, hi) = vrange!($($r)+);
        $v >= lo && $v <= hi
    }};
}

/// Whether a field with the given (possibly absent) nullable range may be null at `version`.
macro_rules! nullable_at {
    ($v:expr;) => {
        false
    };
    ($v:expr; $($r:tt)+) => {
        in_vrange!($v; $($r)+)
    };
}

/// A field's default: the given expression, or the type's `Default`.
macro_rules! field_default {
    () => {
        Default::default()
    };
    ($e:expr) => {
        $e
    };
}

/// Expands to the first block for a tagged field (`[N]`), to the second for a plain one (`[]`).
macro_rules! if_tagged {
    ([] { $($t:tt)* } else { $($u:tt)* }) => { $($u)* };
    ([$tag:literal] { $($t:tt)* } else { $($u:tt)* }) => { $($t)* };
}

/// The tag number of a tagged field.
macro_rules! tag_of {
    () => {
        0u32
    };
    ($t:literal) => {
        $t as u32
    };
}

/// The first version in which a message is flexible, written `9+` or `none`.
macro_rules! flexible_from {
    (none) => {
        i16::MAX
    };
    ($lo:literal +) => {
        $lo as i16
    };
}

/// Declares a structure of a message: see the module documentation.
macro_rules! kafka_struct {
    (
        $(#[$meta:meta])*
        $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $ty:ty = v($($vr:tt)+) $(null($($nr:tt)+))? $(tag($tag:literal))? $(default($def:expr))?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                pub $field: $ty,
            )*
            /// Tagged fields this version of kafkit does not know, kept so that they survive a
            /// decode and re-encode.
            pub unknown_tagged_fields: Vec<$crate::codec::RawTaggedField>,
        }

        impl Default for $name {
            fn default() -> Self {
                Self {
                    $( $field: field_default!($($def)?), )*
                    unknown_tagged_fields: Vec::new(),
                }
            }
        }

        #[allow(unused_variables, unused_mut, clippy::absurd_extreme_comparisons, unused_comparisons)]
        impl $name {
            fn encode_fields<B: bytes::BufMut>(&self, buf: &mut B, version: i16, flexible: bool) -> $crate::error::EncodeResult<()> {
                $(
                    if_tagged!([$($tag)?] {} else {
                        if in_vrange!(version; $($vr)+) {
                            let ctx = $crate::codec::Ctx { version, flexible, nullable: nullable_at!(version; $($($nr)+)?) };
                            <$ty as $crate::codec::FieldCodec>::encode(&self.$field, buf, ctx)
                                .map_err(|e| e.in_field(concat!(stringify!($name), ".", stringify!($field))))?;
                        }
                    });
                )*
                if flexible {
                    let mut count = self.unknown_tagged_fields.len();
                    $(
                        if_tagged!([$($tag)?] {
                            if in_vrange!(version; $($vr)+) && { let d: $ty = field_default!($($def)?); self.$field != d } {
                                count += 1;
                            }
                        } else {});
                    )*
                    $crate::codec::put_uvarint(buf, count as u32);
                    let mut unknown = self.unknown_tagged_fields.iter().peekable();
                    $(
                        if_tagged!([$($tag)?] {
                            if in_vrange!(version; $($vr)+) && { let d: $ty = field_default!($($def)?); self.$field != d } {
                                let tag = tag_of!($($tag)?);
                                while let Some(u) = unknown.next_if(|u| u.tag < tag) {
                                    $crate::codec::put_raw_tagged(buf, u);
                                }
                                let ctx = $crate::codec::Ctx { version, flexible: true, nullable: nullable_at!(version; $($($nr)+)?) };
                                $crate::codec::put_uvarint(buf, tag);
                                $crate::codec::put_uvarint(buf, <$ty as $crate::codec::FieldCodec>::encoded_size(&self.$field, ctx) as u32);
                                <$ty as $crate::codec::FieldCodec>::encode(&self.$field, buf, ctx)
                                    .map_err(|e| e.in_field(concat!(stringify!($name), ".", stringify!($field))))?;
                            }
                        } else {});
                    )*
                    for u in unknown {
                        $crate::codec::put_raw_tagged(buf, u);
                    }
                }
                Ok(())
            }

            fn fields_size(&self, version: i16, flexible: bool) -> usize {
                let mut size = 0usize;
                $(
                    if_tagged!([$($tag)?] {} else {
                        if in_vrange!(version; $($vr)+) {
                            let ctx = $crate::codec::Ctx { version, flexible, nullable: nullable_at!(version; $($($nr)+)?) };
                            size += <$ty as $crate::codec::FieldCodec>::encoded_size(&self.$field, ctx);
                        }
                    });
                )*
                if flexible {
                    let mut count = 0usize;
                    $(
                        if_tagged!([$($tag)?] {
                            if in_vrange!(version; $($vr)+) && { let d: $ty = field_default!($($def)?); self.$field != d } {
                                let ctx = $crate::codec::Ctx { version, flexible: true, nullable: nullable_at!(version; $($($nr)+)?) };
                                let s = <$ty as $crate::codec::FieldCodec>::encoded_size(&self.$field, ctx);
                                size += $crate::codec::uvarint_len(tag_of!($($tag)?)) + $crate::codec::uvarint_len(s as u32) + s;
                                count += 1;
                            }
                        } else {});
                    )*
                    for u in &self.unknown_tagged_fields {
                        size += $crate::codec::raw_tagged_size(u);
                        count += 1;
                    }
                    size += $crate::codec::uvarint_len(count as u32);
                }
                size
            }

            fn decode_fields(r: &mut $crate::codec::Reader, version: i16, flexible: bool) -> $crate::error::DecodeResult<Self> {
                let mut this = Self::default();
                $(
                    if_tagged!([$($tag)?] {} else {
                        if in_vrange!(version; $($vr)+) {
                            let ctx = $crate::codec::Ctx { version, flexible, nullable: nullable_at!(version; $($($nr)+)?) };
                            this.$field = <$ty as $crate::codec::FieldCodec>::decode(r, ctx)
                                .map_err(|e| e.context(concat!(stringify!($name), ".", stringify!($field))))?;
                        }
                    });
                )*
                if flexible {
                    let count = r.uvarint()?;
                    r.check_len(i64::from(count), 2)?;
                    for _ in 0..count {
                        let tag = r.uvarint()?;
                        let size = r.uvarint()? as usize;
                        let mut sub = r.sub(size)?;
                        let mut known = false;
                        $(
                            if_tagged!([$($tag)?] {
                                if tag == tag_of!($($tag)?) && in_vrange!(version; $($vr)+) {
                                    let ctx = $crate::codec::Ctx { version, flexible: true, nullable: nullable_at!(version; $($($nr)+)?) };
                                    this.$field = <$ty as $crate::codec::FieldCodec>::decode(&mut sub, ctx)
                                        .and_then(|v| sub.finish().map(|_| v))
                                        .map_err(|e| e.context(concat!(stringify!($name), ".", stringify!($field), " (tagged)")))?;
                                    known = true;
                                }
                            } else {});
                        )*
                        if !known {
                            this.unknown_tagged_fields.push($crate::codec::RawTaggedField { tag, data: sub.rest() });
                        }
                    }
                }
                Ok(this)
            }
        }

        impl $crate::codec::FieldCodec for $name {
            const MIN_SIZE: usize = 1;
            fn encode<B: bytes::BufMut>(&self, buf: &mut B, ctx: $crate::codec::Ctx) -> $crate::error::EncodeResult<()> {
                self.encode_fields(buf, ctx.version, ctx.flexible)
            }
            fn decode(r: &mut $crate::codec::Reader, ctx: $crate::codec::Ctx) -> $crate::error::DecodeResult<Self> {
                Self::decode_fields(r, ctx.version, ctx.flexible)
            }
            fn encoded_size(&self, ctx: $crate::codec::Ctx) -> usize {
                self.fields_size(ctx.version, ctx.flexible)
            }
        }

        impl $crate::codec::Nullable for $name {
            fn encode_null<B: bytes::BufMut>(buf: &mut B, _ctx: $crate::codec::Ctx) {
                buf.put_i8(-1);
            }
            fn encode_present<B: bytes::BufMut>(&self, buf: &mut B, ctx: $crate::codec::Ctx) -> $crate::error::EncodeResult<()> {
                buf.put_i8(1);
                self.encode_fields(buf, ctx.version, ctx.flexible)
            }
            fn present_size(&self, ctx: $crate::codec::Ctx) -> usize {
                1 + self.fields_size(ctx.version, ctx.flexible)
            }
            fn decode_nullable(r: &mut $crate::codec::Reader, ctx: $crate::codec::Ctx) -> $crate::error::DecodeResult<Option<Self>> {
                if r.i8()? < 0 {
                    Ok(None)
                } else {
                    Self::decode_fields(r, ctx.version, ctx.flexible).map(Some)
                }
            }
            fn null_size(_ctx: $crate::codec::Ctx) -> usize {
                1
            }
        }

        #[cfg(any(test, feature = "testkit"))]
        #[allow(unused_variables, unused_mut, clippy::absurd_extreme_comparisons, unused_comparisons)]
        impl $crate::codec::gen::Generate for $name {
            fn generate(g: &mut $crate::codec::gen::Gen, ctx: $crate::codec::Ctx) -> Self {
                let (version, flexible) = (ctx.version, ctx.flexible);
                let mut this = Self::default();
                $(
                    if in_vrange!(version; $($vr)+) && if_tagged!([$($tag)?] { flexible } else { true }) {
                        let field_flexible = if_tagged!([$($tag)?] { true } else { flexible });
                        let fctx = $crate::codec::Ctx {
                            version,
                            flexible: field_flexible,
                            nullable: nullable_at!(version; $($($nr)+)?),
                        };
                        this.$field = <$ty as $crate::codec::gen::Generate>::generate(g, fctx);
                    }
                )*
                this.unknown_tagged_fields = g.unknown_tags(flexible);
                this
            }
        }
    };
}

/// Declares a top-level message: a [`kafka_struct!`] plus its [`crate::messages::Message`]
/// implementation (API key, implemented versions, first flexible version).
macro_rules! kafka_message {
    (
        $(#[$meta:meta])*
        $name:ident { api: $api:ident, versions: $vlo:literal - $vhi:literal, flexible: $($flex:tt)+ }
        $body:tt
    ) => {
        kafka_struct! { $(#[$meta])* $name $body }

        impl $crate::messages::Message for $name {
            const NAME: &'static str = stringify!($name);
            const API_KEY: $crate::ApiKey = $crate::ApiKey::$api;
            const MIN_VERSION: i16 = $vlo;
            const MAX_VERSION: i16 = $vhi;
            const FLEXIBLE_FROM: i16 = flexible_from!($($flex)+);

            fn encode_body<B: bytes::BufMut>(&self, buf: &mut B, version: i16) -> $crate::error::EncodeResult<()> {
                self.encode_fields(buf, version, Self::is_flexible(version))
            }
            fn body_size(&self, version: i16) -> usize {
                self.fields_size(version, Self::is_flexible(version))
            }
            fn decode_body(r: &mut $crate::codec::Reader, version: i16) -> $crate::error::DecodeResult<Self> {
                Self::decode_fields(r, version, Self::is_flexible(version))
            }
        }
    };
}
