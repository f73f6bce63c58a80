args@{ a ? args, b ? u }: a
