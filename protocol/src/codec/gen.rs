//! Random values of every message type, valid for a given version, for property tests and
//! fuzzing seeds. Only built for tests or with the `testkit` feature.

use bytes::Bytes;

use super::{Ctx, Nullable, RawTaggedField, Uuid};

/// A small deterministic pseudo-random generator (xorshift64*), seeded by the test.
#[derive(Debug, Clone)]
pub struct Gen {
    state: u64,
}

impl Gen {
    /// A generator from `seed` (any value; 0 is remapped).
    pub fn new(seed: u64) -> Self {
        Self { state: seed ^ 0x9e37_79b9_7f4a_7c15 | 1 }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// Unknown tagged fields with tags no message declares (≥ 1000), ascending.
    pub fn unknown_tags(&mut self, flexible: bool) -> Vec<RawTaggedField> {
        if !flexible || !self.chance(15) {
            return Vec::new();
        }
        let mut tag = 1000;
        (0..1 + self.below(2))
            .map(|_| {
                tag += 1 + self.below(100) as u32;
                RawTaggedField { tag, data: Bytes::generate(self, Ctx { version: 0, flexible: true, nullable: false }) }
            })
            .collect()
    }
}

/// A type whose random values can be generated for a version.
pub trait Generate: Sized {
    /// A random value that is valid at `ctx`.
    fn generate(g: &mut Gen, ctx: Ctx) -> Self;
}

macro_rules! ints {
    ($($t:ty),*) => {$(
        impl Generate for $t {
            fn generate(g: &mut Gen, _ctx: Ctx) -> Self {
                // Mostly small values, sometimes extremes, to cover varint widths.
                match g.below(4) {
                    0 => <$t>::MAX,
                    1 => <$t>::MIN,
                    _ => (g.next_u64() % 1000) as $t,
                }
            }
        }
    )*};
}
ints!(i8, i16, u16, i32, u32, i64);

impl Generate for f64 {
    fn generate(g: &mut Gen, _ctx: Ctx) -> Self {
        (g.next_u64() % 1_000_000) as f64 / 7.0
    }
}

impl Generate for bool {
    fn generate(g: &mut Gen, _ctx: Ctx) -> Self {
        g.chance(50)
    }
}

impl Generate for Uuid {
    fn generate(g: &mut Gen, _ctx: Ctx) -> Self {
        Uuid::from_u64_pair(g.next_u64(), g.next_u64())
    }
}

impl Generate for String {
    fn generate(g: &mut Gen, _ctx: Ctx) -> Self {
        const PIECES: &[&str] = &["a", "topic", "-", "_", ".", "股票代码", "é", "0", "Z", "昨日收盘价", " "];
        (0..g.below(6)).map(|_| PIECES[g.below(PIECES.len())]).collect()
    }
}

impl Generate for Bytes {
    fn generate(g: &mut Gen, _ctx: Ctx) -> Self {
        (0..g.below(12)).map(|_| g.next_u64() as u8).collect::<Vec<u8>>().into()
    }
}

impl<T: Generate> Generate for Vec<T> {
    fn generate(g: &mut Gen, ctx: Ctx) -> Self {
        let item = Ctx { nullable: false, ..ctx };
        (0..g.below(3)).map(|_| T::generate(g, item)).collect()
    }
}

impl<T: Generate + Nullable> Generate for Option<T> {
    fn generate(g: &mut Gen, ctx: Ctx) -> Self {
        if ctx.nullable && g.chance(25) {
            None
        } else {
            Some(T::generate(g, ctx))
        }
    }
}
