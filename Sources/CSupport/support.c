// The functions of CSupport are inline, in include/CSupport.h; SwiftPM needs a source file.
#include "CSupport.h"
