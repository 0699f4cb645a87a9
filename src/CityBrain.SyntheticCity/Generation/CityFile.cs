using System.Security.Cryptography;

namespace CityBrain.SyntheticCity.Generation;

/// <summary>Every file of a generated city (docs/synthetic-city.md is the contract for names and columns).</summary>
internal enum CityFile
{
    Divisions,
    Communities,
    Addresses,
    Households,
    Residents,
    Enterprises,
    TaxMonthly,
    Vehicles,
    Institutions,
    Swipes,
    Parking,
    Hotline,
    Events,
    Dirt,
    FraudRings,
    PolicyEligible,
    GajPopulation,
    MzjDibao,
    MzjDisability,
    MzjDeaths,
    RsjPersons,
    RsjInsurance,
    RsjUnits,
    ScjgjEnterprises,
    SwjTax,
    WjwBirths,
    WjwDeathCertificates,
    YbjInsured,
    YbjSettlements,
    YbjInstitutions,
    JtjVehicles,
    JtjParking,
    MovedOut,
}

internal static class CityFiles
{
    public static readonly int Count = Enum.GetValues<CityFile>().Length;

    private static readonly string[][] ColumnNames = Enum.GetValues<CityFile>().Select(f => Header(f).Split(',')).ToArray();

    public static string Column(CityFile file, int index) => ColumnNames[(int)file][index];

    public static string Path(CityFile file) => file switch
    {
        CityFile.Divisions => "truth/divisions.csv",
        CityFile.Communities => "truth/communities.csv",
        CityFile.Addresses => "truth/addresses.csv",
        CityFile.Households => "truth/households.csv",
        CityFile.Residents => "truth/residents.csv",
        CityFile.Enterprises => "truth/enterprises.csv",
        CityFile.TaxMonthly => "truth/tax_monthly.csv",
        CityFile.Vehicles => "truth/vehicles.csv",
        CityFile.Institutions => "truth/institutions.csv",
        CityFile.Swipes => "truth/swipes.csv",
        CityFile.Parking => "truth/parking.csv",
        CityFile.Hotline => "truth/hotline.csv",
        CityFile.Events => "truth/events.csv",
        CityFile.Dirt => "truth/dirt.csv",
        CityFile.FraudRings => "truth/fraud_rings.csv",
        CityFile.PolicyEligible => "truth/policy_eligible.csv",
        CityFile.GajPopulation => "departments/gaj/rk.csv",
        CityFile.MzjDibao => "departments/mzj/dibao.csv",
        CityFile.MzjDisability => "departments/mzj/disability.csv",
        CityFile.MzjDeaths => "departments/mzj/deaths.csv",
        CityFile.RsjPersons => "departments/rsj/persons.csv",
        CityFile.RsjInsurance => "departments/rsj/insurance.csv",
        CityFile.RsjUnits => "departments/rsj/units.csv",
        CityFile.ScjgjEnterprises => "departments/scjgj/qy.csv",
        CityFile.SwjTax => "departments/swj/nsr.csv",
        CityFile.WjwBirths => "departments/wjw/births.csv",
        CityFile.WjwDeathCertificates => "departments/wjw/death_certificates.csv",
        CityFile.YbjInsured => "departments/ybj/insured.csv",
        CityFile.YbjSettlements => "departments/ybj/setl.csv",
        CityFile.YbjInstitutions => "departments/ybj/fixmedins.csv",
        CityFile.JtjVehicles => "departments/jtj/vehicles.csv",
        CityFile.JtjParking => "departments/jtj/parking.csv",
        CityFile.MovedOut => "truth/moved_out.csv",
        _ => throw new ArgumentOutOfRangeException(nameof(file)),
    };

    /// <summary>The department code of a department file, or null for truth files.</summary>
    public static string? Department(CityFile file)
    {
        var path = Path(file);
        return path.StartsWith("departments/", StringComparison.Ordinal) ? path.Split('/')[1] : null;
    }

    /// <summary>The file name as dirt.csv names it: the department file's own name.</summary>
    public static string FileName(CityFile file) => System.IO.Path.GetFileName(Path(file));

    public static string Header(CityFile file) => file switch
    {
        CityFile.Divisions => "code,name,level,parent",
        CityFile.Communities => "code,name,street_code,lon,lat",
        CityFile.Addresses => "address_id,kind,district_code,street_code,community_code,road,number,building,unit,room,lon,lat,standard",
        CityFile.Households => "household_id,head_resident_id,address_id,hukou",
        CityFile.Residents => "resident_id,name,sex,birth_date,ethnicity,household_id,relation,hukou,hukou_division,address_id,phone,education,employment,employer_uscc,monthly_income,social_insurance_months,unemployment_insurance_months,medical_insurance,disability_grade,disability_kind,dibao,pension_monthly,death_date",
        CityFile.Enterprises => "uscc,name,industry,industry_name,size,address_id,established,legal_rep_resident_id,employees,insured_employees,layoffs_last_year,annual_tax,unemployment_insurance_paid,status",
        CityFile.TaxMonthly => "uscc,period,tax",
        CityFile.Vehicles => "plate,owner_resident_id,kind,registered",
        CityFile.Institutions => "code,name,kind,address_id",
        CityFile.Swipes => "swipe_id,resident_id,institution_code,time,amount",
        CityFile.Parking => "session_id,plate,lot_code,start,end,fee",
        CityFile.Hotline => "request_id,time,resident_id,address_id,category,text,department",
        CityFile.Events => "time,kind,resident_id,detail",
        CityFile.Dirt => "kind,department,file,key,field,clean_value,dirty_value",
        CityFile.FraudRings => "ring_id,resident_id,institution_code",
        CityFile.PolicyEligible => "policy,subject",
        CityFile.GajPopulation => "SFZH,XM,XB,CSRQ,MZ,HH,YHZGX,HKXZ,HJQH,JZDZ,LXDH,SWBZ,SWRQ,QCRQ,QWQH",
        CityFile.MzjDibao => "idNumber,name,householdId,monthlyAmount,since,districtCode,status",
        CityFile.MzjDisability => "idNumber,name,grade,kind,certificateNo,districtCode",
        CityFile.MzjDeaths => "idNumber,name,deathDate,districtCode",
        CityFile.RsjPersons => "id_no,name,district_code,employer_uscc,employment_status,start_date,monthly_wage",
        CityFile.RsjInsurance => "id_no,pension_months,unemployment_months,medical_type,pension_monthly,retired_date",
        CityFile.RsjUnits => "uscc,year,insured_employees,unemployment_insurance_paid,layoffs",
        CityFile.ScjgjEnterprises => "uniscid,entname,industryco,industryname,entscale,dom,estdate,regstate,lerep",
        CityFile.SwjTax => "nsrsbh,nsrmc,ssq,ynse",
        CityFile.WjwBirths => "certificate_no,child_id,child_name,mother_id,birth_time,hospital",
        CityFile.WjwDeathCertificates => "certificate_no,person_id,death_time,cause_icd10",
        CityFile.YbjInsured => "psn_no,psn_name,insutype,emp_no,insu_admdvs",
        CityFile.YbjSettlements => "setl_id,psn_no,fixmedins_code,setl_time,medfee_sumamt",
        CityFile.YbjInstitutions => "fixmedins_code,fixmedins_name,fixmedins_type,addr",
        CityFile.JtjVehicles => "hphm,hpzl,syr,sfzh,ccdjrq",
        CityFile.JtjParking => "record_id,hphm,lot_id,entry_time,exit_time,fee",
        CityFile.MovedOut => "resident_id,moved_out_date,destination_division,still_listed_by",
        _ => throw new ArgumentOutOfRangeException(nameof(file)),
    };
}

/// <summary>One buffer per file for a block of work.</summary>
internal sealed class BlockBuffers
{
    private readonly CsvBuffer[] _buffers = Enumerable.Range(0, CityFiles.Count).Select(_ => new CsvBuffer()).ToArray();

    public CsvBuffer this[CityFile file] => _buffers[(int)file];

    public void Clear()
    {
        foreach (var buffer in _buffers)
        {
            buffer.Clear();
        }
    }
}

/// <summary>The open output files: appends blocks in order, counts rows and hashes every byte written.</summary>
internal sealed class CityWriter : IDisposable
{
    private readonly FileStream[] _streams = new FileStream[CityFiles.Count];
    private readonly IncrementalHash[] _hashes = new IncrementalHash[CityFiles.Count];
    private readonly long[] _rows = new long[CityFiles.Count];

    public CityWriter(string directory)
    {
        foreach (var file in Enum.GetValues<CityFile>())
        {
            var path = Path.Combine(directory, CityFiles.Path(file));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var i = (int)file;
            _streams[i] = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 20);
            _hashes[i] = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var header = System.Text.Encoding.UTF8.GetBytes(CityFiles.Header(file) + "\n");
            Write(file, header);
        }
    }

    private void Write(CityFile file, ReadOnlySpan<byte> bytes)
    {
        _streams[(int)file].Write(bytes);
        _hashes[(int)file].AppendData(bytes);
    }

    public void Append(CityFile file, CsvBuffer buffer)
    {
        Write(file, buffer.Written);
        _rows[(int)file] += buffer.Rows;
    }

    public void Append(BlockBuffers block)
    {
        foreach (var file in Enum.GetValues<CityFile>())
        {
            if (block[file].Length > 0)
            {
                Append(file, block[file]);
            }
        }
    }

    public long Rows(CityFile file) => _rows[(int)file];

    /// <summary>Closes the files and returns each file's SHA-256 (lower-case hex).</summary>
    public Dictionary<CityFile, string> Finish()
    {
        var result = new Dictionary<CityFile, string>();
        foreach (var file in Enum.GetValues<CityFile>())
        {
            _streams[(int)file].Dispose();
            result[file] = Convert.ToHexStringLower(_hashes[(int)file].GetHashAndReset());
        }
        return result;
    }

    public void Dispose()
    {
        foreach (var stream in _streams)
        {
            stream?.Dispose();
        }
        foreach (var hash in _hashes)
        {
            hash?.Dispose();
        }
    }
}
