{ zzz, name, zzz, name }: 1
