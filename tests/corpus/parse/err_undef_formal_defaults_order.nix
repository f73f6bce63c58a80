{ zzz ? u1, name ? u2 }: 1
