f: f ({ a }: a)
