#!/usr/bin/env python3
"""Prints N small distinct JSON records {"n":i}, for tests that need volume."""
import sys
sys.stdout.write("".join('{"n":%d}\n' % i for i in range(int(sys.argv[1]))))
