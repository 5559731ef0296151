// Benchmark runner: `dotnet run -c Release --project Benchmarks -- <suite> [options]`.
// Each suite prints a human-readable table and ends with one machine-readable summary line.
using OrleansMq.Benchmarks;

return await BenchmarkCommands.RunAsync(args);
