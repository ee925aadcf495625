#include "sim/cli.hpp"

int main(int argc, char** argv) { return cimba::sim::cimba_main(argc, argv); }
