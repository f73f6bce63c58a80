{ zz, aa ? zz, mm }: aa
