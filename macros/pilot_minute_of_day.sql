{% macro pilot_minute_of_day(hh_mm) -%}
    {#- Minutes since midnight of an 'HH:MM' text; portable (no time arithmetic). -#}
    (
        {{ dbt.safe_cast(dbt.split_part(hh_mm, "':'", 1), dbt.type_int()) }} * 60
        + {{ dbt.safe_cast(dbt.split_part(hh_mm, "':'", 2), dbt.type_int()) }}
    )
{%- endmacro %}
