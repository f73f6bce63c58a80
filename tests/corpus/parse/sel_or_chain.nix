a: b: c: d: a.b or c.d or d
