{ a ? b or }: a
