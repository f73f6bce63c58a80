{ a ? u }: a
