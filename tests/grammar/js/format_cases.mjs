// Writes tests/data/grammar/format_cases.json: strings near each supported `format` (seeds and
// seeded random edits of them) with ajv-formats' verdict in full mode, the independent reference
// format_test.cc checks the front end's format patterns against. Run: node format_cases.mjs > FILE
import Ajv from "ajv";
import addFormats from "ajv-formats";

const ajv = new Ajv({ strict: false });
addFormats(ajv, { mode: "full" });

const seeds = {
  date: ["2024-02-29", "2023-02-28", "2000-02-29", "1900-02-28", "2023-12-31", "0000-01-01", "2023-04-30"],
  time: ["23:59:59Z", "00:00:00+01:00", "12:34:56.789-0530", "23:59:60Z", "23:59:60+00:00", "10:00:00+23:59", "01:02:03z"],
  "date-time": ["2024-01-02T03:04:05Z", "2024-01-02t03:04:05.5+05:30", "2024-01-02 03:04:05-08:00", "2016-12-31T23:59:60Z"],
  "iso-time": ["23:59:59", "12:00:00Z", "08:30:00.1+02"],
  "iso-date-time": ["2024-01-02T03:04:05", "2024-01-02 03:04:05Z"],
  email: ["a@b.co", "first.last+tag@sub.example.org", "x_y!#$%&'*+/=?^`{|}~-@ex-ample.com", "A@B.C"],
  uuid: ["123e4567-e89b-12d3-a456-426614174000", "urn:uuid:123E4567-E89B-12D3-A456-426614174000"],
  ipv4: ["192.168.0.1", "0.0.0.0", "255.255.255.255", "10.0.0.254"],
  ipv6: ["::", "::1", "1:2:3:4:5:6:7:8", "fe80::1:2", "::ffff:1.2.3.4", "1:2:3:4:5:6:7::", "1::", "1:2::3:4", "a:b:c:d:e:f:1.2.3.4"],
  hostname: ["example.com", "a-b.c.", "localhost", "xn--bcher-kva.example", "a.b.c.d.e.f.g"],
  "json-pointer": ["", "/a/b", "/~0/~1", "/a~2"],
  uri: ["http://example.com/a/b?c=d#e", "https://user:pw@[::1]:8080/x", "urn:isbn:0451450523", "mailto:a@b.c", "file:///etc/x",
        "http://192.168.001.1/", "ftp://[v1.fe]/", "HTTP://EXAMPLE.COM/%7Euser", "a:/b", "tel:+1-816-555-1212",
        "http://[2001:db8::7]/c=GB?objectClass?one", "ldap://[1:2:3:4:5:6:1.2.3.4]/", "x:y/z?#"],
  "relative-json-pointer": ["0", "1/a", "2#", "10/~0"],
};
const alphabet = "0123456789:.-+TtZz@/~#abcdefABCDEF_ xX![]%?";

let state = 12345;
function rand(n) {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state % n;
}
function mutate(s) {
  const kind = rand(4);
  const i = rand(s.length + 1);
  const c = alphabet[rand(alphabet.length)];
  if (kind === 0) return s.slice(0, i) + c + s.slice(i);
  if (kind === 1) return s.slice(0, i) + s.slice(i + 1);
  if (kind === 2) return s.slice(0, i) + c + s.slice(i + 1);
  return s.slice(0, i) + s.slice(i, i + 2) + s.slice(i);   // duplicate a piece
}

// More seeds, drawn at random around the interesting edges (month ends, leap years, offsets).
const pad = (n, w) => String(n).padStart(w, "0");
for (let k = 0; k < 80; ++k) {
  const y = [2000, 1900, 2024, 2023, 1600, 2100, rand(10000)][rand(7)];
  const d = `${pad(y, 4)}-${pad(1 + rand(12), 2)}-${pad([28, 29, 30, 31, 1 + rand(31)][rand(5)], 2)}`;
  const t = `${pad(rand(25), 2)}:${pad(rand(61), 2)}:${pad(rand(62), 2)}${rand(2) ? "." + rand(1000) : ""}`;
  const tz = ["Z", "z", "", `+${pad(rand(25), 2)}:${pad(rand(61), 2)}`, `-${pad(rand(24), 2)}${pad(rand(60), 2)}`, `+${pad(rand(24), 2)}`][rand(6)];
  seeds.date.push(d);
  seeds.time.push(t + tz);
  seeds["iso-time"].push(t + tz);
  seeds["date-time"].push(d + ["T", "t", " "][rand(3)] + t + tz);
  seeds["iso-date-time"].push(d + "T" + t + tz);
  seeds.ipv4.push([0, 0, 0, 0].map(() => [rand(256), rand(300), 0, 255][rand(4)]).join("."));
}

const cases = [];
for (const [format, list] of Object.entries(seeds)) {
  const validate = ajv.compile({ type: "string", format });
  const seen = new Set();
  const add = (s) => {
    if (seen.has(s)) return;
    seen.add(s);
    cases.push({ format, text: s, valid: validate(s) });
  };
  for (const s of list) add(s);
  for (let k = 0; k < 400; ++k) {
    let s = list[rand(list.length)];
    for (let m = 1 + rand(2); m > 0; --m) s = mutate(s);
    add(s);
  }
}
process.stdout.write(JSON.stringify(cases, null, 0).replace(/\},\{/g, "},\n{") + "\n");
