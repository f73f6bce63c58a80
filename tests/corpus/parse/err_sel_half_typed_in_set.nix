a: b: c: d: { x = a.; }
