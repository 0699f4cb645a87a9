using System.CommandLine;
using CityBrain.Host.Cli;

// citybrain [serve] | token --as NAME | audit verify — see README.md.
var root = CityBrainCommands.Build();
return await root.Parse(args).InvokeAsync();
