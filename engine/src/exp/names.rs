//! Generated experiment names: an adjective and a noun (`brisk-lynx`), drawn
//! until the name is free under the baseline. The word lists are Retort's own,
//! short and plain so that names are easy to type.

use std::time::{SystemTime, UNIX_EPOCH};

const ADJECTIVES: &[&str] = &[
    "agile", "amber", "ample", "azure", "balmy", "basic", "beige", "blond", "bold", "brave",
    "brief", "brisk", "broad", "brown", "busy", "calm", "cheap", "chief", "civil", "clean",
    "clear", "close", "cool", "coral", "cozy", "crisp", "curly", "cyan", "daily", "dear", "deep",
    "dense", "dizzy", "downy", "dusty", "eager", "early", "easy", "eight", "elder", "empty",
    "equal", "even", "exact", "extra", "fair", "faint", "fancy", "fast", "fiery", "final", "fine",
    "firm", "first", "fleet", "fluid", "foggy", "fond", "frank", "free", "fresh", "fuzzy", "glad",
    "gold", "good", "grand", "gray", "great", "green", "happy", "hardy", "hasty", "hazel", "heavy",
    "high", "holy", "humid", "ideal", "inner", "ivory", "jolly", "juicy", "keen", "kind", "large",
    "late", "lazy", "leafy", "lean", "level", "light", "lilac", "lime", "live", "local", "lofty",
    "long", "loud", "loyal", "lucid", "lucky", "lunar", "magic", "major", "merry", "mild", "minor",
    "misty", "mixed", "modal", "moist", "mossy", "muted", "naive", "navy", "neat", "nice", "noble",
    "north", "novel", "oaken", "olive", "open", "outer", "pale", "plain", "plump", "plush",
    "polar", "prime", "proud", "pure", "quick", "quiet", "rapid", "rare", "ready", "regal", "rich",
    "rigid", "ripe", "rocky", "rosy", "round", "royal", "ruby", "rural", "rusty", "safe", "salty",
    "sandy", "sharp", "shiny", "short", "silky", "slim", "slow", "small", "smart", "snowy", "soft",
    "solar", "solid", "sonic", "spare", "spicy", "stark", "steep", "still", "stony", "sunny",
    "super", "sure", "swift", "tall", "tame", "tart", "tawny", "teal", "tidy", "tiny", "total",
    "tough", "true", "urban", "vast", "vital", "vivid", "vocal", "warm", "wavy", "whole", "wide",
    "wild", "windy", "wise", "witty", "young", "zesty", "zonal",
];

const NOUNS: &[&str] = &[
    "acorn", "alder", "anvil", "apple", "arch", "aspen", "atlas", "axle", "badge", "bank", "barn",
    "basin", "beach", "bell", "birch", "bison", "blade", "bloom", "boat", "bolt", "brook", "cabin",
    "cable", "camel", "canal", "cape", "cedar", "chalk", "cliff", "cloud", "coast", "comet",
    "coral", "crane", "creek", "crown", "delta", "dove", "drum", "dune", "eagle", "ember", "fern",
    "field", "finch", "fjord", "flame", "flint", "frost", "gate", "gecko", "glade", "glen",
    "grove", "gull", "harp", "hawk", "heron", "hill", "horn", "ibex", "inlet", "iris", "isle",
    "jade", "kayak", "kelp", "kite", "knoll", "koala", "lake", "lamp", "larch", "lark", "leaf",
    "lemon", "lily", "linen", "lion", "llama", "loom", "lotus", "lynx", "maple", "marsh", "mesa",
    "mint", "moon", "moose", "moth", "oasis", "ocean", "orbit", "otter", "palm", "panda", "pearl",
    "pecan", "pier", "pine", "plain", "plum", "pond", "poppy", "quail", "raven", "reef", "ridge",
    "river", "robin", "rock", "rose", "sage", "sail", "sand", "seal", "shell", "shore", "slate",
    "sloth", "snow", "spark", "spire", "star", "stone", "storm", "swan", "thorn", "tide", "tiger",
    "trail", "tulip", "vale", "wave", "whale", "wind", "wolf", "wren", "zebra",
];

/// A small random source that needs no seed from the caller: names must differ
/// between runs even when a pipeline fixes its own random seed.
struct NameRng(u64);

impl NameRng {
    fn new() -> NameRng {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos() as u64)
            .unwrap_or(0);
        let counter = NEXT.fetch_add(0x9e37_79b9_7f4a_7c15, std::sync::atomic::Ordering::Relaxed);
        NameRng(nanos ^ (u64::from(std::process::id()) << 32) ^ counter)
    }

    /// splitmix64.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[(self.next() % words.len() as u64) as usize]
    }
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// One random `adjective-noun` name.
pub fn random_name() -> String {
    let mut rng = NameRng::new();
    format!("{}-{}", rng.pick(ADJECTIVES), rng.pick(NOUNS))
}

/// A random name for which `is_taken` is false. After many collisions (a
/// baseline with tens of thousands of experiments) a numeric suffix is added.
pub fn unique_name(mut is_taken: impl FnMut(&str) -> bool) -> String {
    let mut rng = NameRng::new();
    for attempt in 0.. {
        let mut name = format!("{}-{}", rng.pick(ADJECTIVES), rng.pick(NOUNS));
        if attempt >= 1000 {
            name = format!("{name}-{}", rng.next() % 100_000);
        }
        if !is_taken(&name) {
            return name;
        }
    }
    unreachable!("the loop above only ends by returning")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_refs_and_avoid_taken_ones() {
        for word in ADJECTIVES.iter().chain(NOUNS) {
            assert!(word.chars().all(|ch| ch.is_ascii_lowercase()), "{word}");
            assert!((4..=5).contains(&word.len()), "{word}");
        }
        let name = random_name();
        assert!(crate::exp::refs::name_problem(&name).is_none());
        let mut seen = Vec::new();
        let picked = unique_name(|candidate| {
            seen.push(candidate.to_string());
            seen.len() < 5
        });
        assert_eq!(seen.len(), 5);
        assert_eq!(&picked, seen.last().unwrap());
    }
}
