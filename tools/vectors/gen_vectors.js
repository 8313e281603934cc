// Writes l2lab's conformance vectors (tests/vectors/circomlibjs/*.json) with circomlibjs.
// Run: cd tools/vectors && npm ci && node gen_vectors.js
// Every value is derived from a fixed seed, so a rerun reproduces the committed files.

import { writeFileSync, mkdirSync } from "fs";
import { dirname, join } from "path";
import { fileURLToPath } from "url";
import createBlakeHash from "blake-hash";
import {
    buildPoseidon,
    buildPoseidonReference,
    buildEddsa,
    buildBabyjub,
} from "circomlibjs";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "tests", "vectors", "circomlibjs");
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const MASK64 = (1n << 64n) - 1n;

// splitmix64: a tiny seeded generator so the vectors are reproducible.
let seed = 0x6c326c6162n; // "l2lab"
function next64() {
    seed = (seed + 0x9e3779b97f4a7c15n) & MASK64;
    let z = seed;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
}
function randBig(bits) {
    let v = 0n;
    for (let i = 0; i < Math.ceil(bits / 64); i++) v = (v << 64n) | next64();
    return v & ((1n << BigInt(bits)) - 1n);
}
const randField = () => randBig(256) % R;
function randBytes(n) {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = Number(next64() & 0xffn);
    return out;
}

function write(name, obj) {
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, name), JSON.stringify(obj, null, 1) + "\n");
    console.log("wrote", join(OUT, name));
}

async function poseidonVectors() {
    const poseidon = await buildPoseidon();
    const reference = await buildPoseidonReference();
    const F = poseidon.F;
    const Fr = reference.F;
    const hashes = [];
    for (let n = 1; n <= 16; n++) {
        const cases = [
            Array(n).fill(0n),
            Array(n).fill(R - 1n),
            Array.from({ length: n }, (_, i) => BigInt(i + 1)),
            Array.from({ length: n }, () => randField()),
            Array.from({ length: n }, () => randField()),
        ];
        for (const inputs of cases) {
            const out = F.toObject(poseidon(inputs));
            const ref = Fr.toObject(reference(inputs));
            if (out !== ref) throw new Error(`wasm and reference Poseidon disagree for n=${n}`);
            hashes.push({ inputs: inputs.map(String), output: out.toString() });
        }
    }
    // Whole permutations: a non-zero capacity word and every output word.
    const permutations = [];
    for (let t = 2; t <= 17; t++) {
        const state = Array.from({ length: t }, () => randField());
        const out = reference(state.slice(1), state[0], t).map((x) => Fr.toObject(x));
        permutations.push({ state: state.map(String), output: out.map(String) });
    }
    write("poseidon.json", {
        source: "circomlibjs 0.1.7 buildPoseidon / buildPoseidonReference",
        hashes,
        permutations,
    });
}

async function eddsaVectors() {
    const eddsa = await buildEddsa();
    const babyJub = await buildBabyjub();
    const F = babyJub.F;
    const pt = (p) => [F.toObject(p[0]).toString(), F.toObject(p[1]).toString()];
    const keys = [
        Buffer.from("0001020304050607080900010203040506070809000102030405060708090001", "hex"),
        Buffer.alloc(32, 0),
        Buffer.alloc(32, 0xff),
        Buffer.from("l2lab"),
        randBytes(64),
    ];
    for (let i = 0; i < 5; i++) keys.push(randBytes(32));
    const msgs = [0n, 1n, 1234n, R - 1n];
    for (let i = 0; i < 6; i++) msgs.push(randField());
    const vectors = [];
    keys.forEach((prv, i) => {
        const pub = eddsa.prv2pub(prv);
        for (const m of [msgs[i % msgs.length], msgs[(i + 3) % msgs.length]]) {
            const sig = eddsa.signPoseidon(prv, F.e(m));
            if (!eddsa.verifyPoseidon(F.e(m), sig, pub)) throw new Error("circomlibjs rejects its own signature");
            vectors.push({
                private_key: prv.toString("hex"),
                msg: m.toString(),
                public_key: pt(pub),
                public_key_packed: Buffer.from(babyJub.packPoint(pub)).toString("hex"),
                R8: pt(sig.R8),
                S: sig.S.toString(),
                signature_packed: Buffer.from(eddsa.packSignature(sig)).toString("hex"),
            });
        }
    });
    // Packed points of random multiples of the generator, both sign-bit values included.
    const packing = [];
    for (let i = 0; i < 12; i++) {
        const p = babyJub.mulPointEscalar(babyJub.Generator, randBig(250));
        packing.push({ point: pt(p), packed: Buffer.from(babyJub.packPoint(p)).toString("hex") });
    }
    write("eddsa.json", {
        source: "circomlibjs 0.1.7 buildEddsa().prv2pub / signPoseidon / packSignature",
        signatures: vectors,
        packing,
    });
}

function blakeVectors() {
    const lengths = [0, 1, 2, 55, 63, 64, 100, 110, 111, 112, 113, 127, 128, 129, 144, 200, 239, 240, 255, 256, 257, 1000];
    const vectors = lengths.map((n) => {
        const msg = randBytes(n);
        return { msg: msg.toString("hex"), digest: createBlakeHash("blake512").update(msg).digest("hex") };
    });
    for (const msg of [Buffer.from([0]), Buffer.alloc(144, 0), Buffer.from("The quick brown fox jumps over the lazy dog")]) {
        vectors.push({ msg: msg.toString("hex"), digest: createBlakeHash("blake512").update(msg).digest("hex") });
    }
    write("blake512.json", { source: "blake-hash 2.0.0 (circomlibjs' BLAKE-512)", vectors });
}

await poseidonVectors();
await eddsaVectors();
blakeVectors();
process.exit(0);
