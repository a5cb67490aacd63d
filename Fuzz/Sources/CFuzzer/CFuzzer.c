// The declaration in include/CFuzzer.h is all: libFuzzer defines the function.
#include "CFuzzer.h"
