namespace CityBrain.Scenarios.Traffic;

/// <summary>
/// The datasets of ../shared/datasets/traffic and the figures REFERENCE.md gives for them: CityFlow measured on this kind of
/// machine, and the best published paper ATT (the bar our controller is to beat).
/// </summary>
public static class TrafficReference
{
    public static IReadOnlyList<TrafficDataset> Datasets { get; } =
    [
        new("HZ1", "hangzhou_4x4", "roadnet_4_4.json", "anon_4_4_hangzhou_real.json",
            new Dictionary<string, TrafficFigures>
            {
                ["plan"] = new(525.3, 450.6, 2508),
                ["fixed"] = new(568.4, 474.9, 2439),
                ["maxpressure"] = new(334.2, 268.4, 2732),
            },
            269.6, "Advanced-XLight family"),
        new("JN1", "jinan_3x4", "roadnet_3_4.json", "anon_3_4_jinan_real.json",
            new Dictionary<string, TrafficFigures>
            {
                ["plan"] = new(444.8, 375.1, 5256),
                ["fixed"] = new(506.0, 421.5, 4948),
                ["maxpressure"] = new(320.0, 259.9, 5679),
            },
            199.24, "CoordLight"),
    ];
}

public sealed record TrafficDataset(
    string Name, string Folder, string Roadnet, string Flow, IReadOnlyDictionary<string, TrafficFigures> CityFlow, double BestPublished, string BestPublishedMethod);

public sealed record TrafficFigures(double EngineTravelTime, double PaperTravelTime, int Throughput);
