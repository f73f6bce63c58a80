{ __curPos = 1; b = __curPos; }
